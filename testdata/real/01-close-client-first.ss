# Kernel view (ss -tanH in the endpoint's namespace) at chosen moments.
# ts_ns = CLOCK_REALTIME ns when ss was started; dur_us = how long ss ran.
# A socket absent from ss is CLOSED; LISTEN = only the listener is left.
# ts_ns side local peer ss_state
1795487437551547437 client 10.77.0.1:40001 10.77.0.2:8080 ESTAB   # dur_us=5216 established, data exchanged
#   ss: ESTAB 0 0 10.77.0.1:40001 10.77.0.2:8080
1795487437556819687 server 10.77.0.2:8080 10.77.0.1:40001 ESTAB   # dur_us=4199 established, data exchanged
#   ss: ESTAB 0 0 10.77.0.2:8080 10.77.0.1:40001
1795487437861476145 client 10.77.0.1:40001 10.77.0.2:8080 FIN-WAIT-2   # dur_us=5046 client FIN acknowledged, server not closed yet
#   ss: FIN-WAIT-2 0 0 10.77.0.1:40001 10.77.0.2:8080
1795487437866580766 server 10.77.0.2:8080 10.77.0.1:40001 CLOSE-WAIT   # dur_us=4306 client FIN acknowledged, server not closed yet
#   ss: CLOSE-WAIT 1 0 10.77.0.2:8080 10.77.0.1:40001
1795487438171289584 client 10.77.0.1:40001 10.77.0.2:8080 TIME-WAIT   # dur_us=5375 after server FIN and the final ACK
#   ss: TIME-WAIT 0 0 10.77.0.1:40001 10.77.0.2:8080
1795487438176740484 server 10.77.0.2:8080 10.77.0.1:40001 CLOSED   # dur_us=5164 after server FIN and the final ACK
