# Kernel view (ss -tanH in the endpoint's namespace) at chosen moments.
# ts_ns = CLOCK_REALTIME ns when ss was started; dur_us = how long ss ran.
# A socket absent from ss is CLOSED; LISTEN = only the listener is left.
# ts_ns side local peer ss_state
1795490323730885027 client 10.77.0.1:40025 10.77.0.2:8080 ESTAB   # dur_us=14309 established, data exchanged
#   ss: ESTAB 0 0 10.77.0.1:40025 10.77.0.2:8080
1795490323745251198 server 10.77.0.2:8080 10.77.0.1:40025 ESTAB   # dur_us=19581 established, data exchanged
#   ss: ESTAB 0 0 10.77.0.2:8080 10.77.0.1:40025
1795490324065126040 client 10.77.0.1:40025 10.77.0.2:8080 FIN-WAIT-2   # dur_us=11699 client FIN acknowledged, server not closed yet  model-differs: the server's ACK of the client's FIN is not in a one-sided capture: from the capture the client is still FIN-WAIT-1
#   ss: FIN-WAIT-2 0 0 10.77.0.1:40025 10.77.0.2:8080
1795490324076924523 server 10.77.0.2:8080 10.77.0.1:40025 CLOSE-WAIT   # dur_us=16152 client FIN acknowledged, server not closed yet
#   ss: CLOSE-WAIT 1 0 10.77.0.2:8080 10.77.0.1:40025
1795490324393424053 client 10.77.0.1:40025 10.77.0.2:8080 TIME-WAIT   # dur_us=15345 after the server's FIN and the client's final ACK
#   ss: TIME-WAIT 0 0 10.77.0.1:40025 10.77.0.2:8080
1795490324408825758 server 10.77.0.2:8080 10.77.0.1:40025 CLOSED   # dur_us=13056 after the server's FIN and the client's final ACK
