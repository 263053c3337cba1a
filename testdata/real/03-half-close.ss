# Kernel view (ss -tanH in the endpoint's namespace) at chosen moments.
# ts_ns = CLOCK_REALTIME ns when ss was started; dur_us = how long ss ran.
# A socket absent from ss is CLOSED; LISTEN = only the listener is left.
# ts_ns side local peer ss_state
1795488094326767119 client 10.77.0.1:40003 10.77.0.2:8080 ESTAB   # dur_us=13979 established, data exchanged
#   ss: ESTAB 0 0 10.77.0.1:40003 10.77.0.2:8080
1795488094340810382 server 10.77.0.2:8080 10.77.0.1:40003 ESTAB   # dur_us=19891 established, data exchanged
#   ss: ESTAB 0 0 10.77.0.2:8080 10.77.0.1:40003
1795488094764674791 client 10.77.0.1:40003 10.77.0.2:8080 FIN-WAIT-2   # dur_us=7445 client half-closed (shutdown SHUT_WR), FIN acknowledged
#   ss: FIN-WAIT-2 0 0 10.77.0.1:40003 10.77.0.2:8080
1795488094772170664 server 10.77.0.2:8080 10.77.0.1:40003 CLOSE-WAIT   # dur_us=11305 client half-closed (shutdown SHUT_WR), FIN acknowledged
#   ss: CLOSE-WAIT 14 0 10.77.0.2:8080 10.77.0.1:40003
1795488097790035456 client 10.77.0.1:40003 10.77.0.2:8080 FIN-WAIT-2   # dur_us=4927 server kept sending for 3 s into the half-closed connection
#   ss: FIN-WAIT-2 0 0 10.77.0.1:40003 10.77.0.2:8080
1795488097795013082 server 10.77.0.2:8080 10.77.0.1:40003 CLOSE-WAIT   # dur_us=4042 server kept sending for 3 s into the half-closed connection
#   ss: CLOSE-WAIT 0 0 10.77.0.2:8080 10.77.0.1:40003
1795488098099342484 client 10.77.0.1:40003 10.77.0.2:8080 TIME-WAIT   # dur_us=5407 after server FIN and the final ACK
#   ss: TIME-WAIT 0 0 10.77.0.1:40003 10.77.0.2:8080
1795488098104808703 server 10.77.0.2:8080 10.77.0.1:40003 CLOSED   # dur_us=3862 after server FIN and the final ACK
