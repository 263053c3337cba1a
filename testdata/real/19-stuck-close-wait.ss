# Kernel view (ss -tanH in the endpoint's namespace) at chosen moments.
# ts_ns = CLOCK_REALTIME ns when ss was started; dur_us = how long ss ran.
# A socket absent from ss is CLOSED; LISTEN = only the listener is left.
# ts_ns side local peer ss_state
1795490269114784357 client 10.77.0.1:40019 10.77.0.2:8080 ESTAB   # dur_us=34019 established, data exchanged
#   ss: ESTAB 0 0 10.77.0.1:40019 10.77.0.2:8080
1795490269148859106 server 10.77.0.2:8080 10.77.0.1:40019 ESTAB   # dur_us=16795 established, data exchanged
#   ss: ESTAB 0 0 10.77.0.2:8080 10.77.0.1:40019
1795490269468518423 client 10.77.0.1:40019 10.77.0.2:8080 FIN-WAIT-2   # dur_us=24348 client FIN acknowledged: FIN-WAIT-2 / CLOSE-WAIT
#   ss: FIN-WAIT-2 0 0 10.77.0.1:40019 10.77.0.2:8080
1795490269492924493 server 10.77.0.2:8080 10.77.0.1:40019 CLOSE-WAIT   # dur_us=20214 client FIN acknowledged: FIN-WAIT-2 / CLOSE-WAIT
#   ss: CLOSE-WAIT 1 0 10.77.0.2:8080 10.77.0.1:40019
1795490272524539256 client 10.77.0.1:40019 10.77.0.2:8080 FIN-WAIT-2   # dur_us=36545 3.3 s after the client's FIN: the server still has not closed
#   ss: FIN-WAIT-2 0 0 10.77.0.1:40019 10.77.0.2:8080
1795490272561155707 server 10.77.0.2:8080 10.77.0.1:40019 CLOSE-WAIT   # dur_us=18591 3.3 s after the client's FIN: the server still has not closed
#   ss: CLOSE-WAIT 0 0 10.77.0.2:8080 10.77.0.1:40019
