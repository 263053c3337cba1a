# Kernel view (ss -tanH in the endpoint's namespace) at chosen moments.
# ts_ns = CLOCK_REALTIME ns when ss was started; dur_us = how long ss ran.
# A socket absent from ss is CLOSED; LISTEN = only the listener is left.
# ts_ns side local peer ss_state
1795490327142801503 client 10.77.0.1:40026 10.77.0.2:8080 ESTAB   # dur_us=17940 established, first exchange done, capture not started yet
#   ss: ESTAB 0 0 10.77.0.1:40026 10.77.0.2:8080
1795490327160819078 server 10.77.0.2:8080 10.77.0.1:40026 ESTAB   # dur_us=16303 established, first exchange done, capture not started yet
#   ss: ESTAB 0 0 10.77.0.2:8080 10.77.0.1:40026
1795490327794538531 client 10.77.0.1:40026 10.77.0.2:8080 ESTAB   # dur_us=5345 second exchange captured
#   ss: ESTAB 0 0 10.77.0.1:40026 10.77.0.2:8080
1795490327799969507 server 10.77.0.2:8080 10.77.0.1:40026 ESTAB   # dur_us=16905 second exchange captured
#   ss: ESTAB 0 0 10.77.0.2:8080 10.77.0.1:40026
1795490328119028644 client 10.77.0.1:40026 10.77.0.2:8080 FIN-WAIT-2   # dur_us=13296 client FIN acknowledged
#   ss: FIN-WAIT-2 0 0 10.77.0.1:40026 10.77.0.2:8080
1795490328132415277 server 10.77.0.2:8080 10.77.0.1:40026 CLOSE-WAIT   # dur_us=4608 client FIN acknowledged
#   ss: CLOSE-WAIT 1 0 10.77.0.2:8080 10.77.0.1:40026
1795490328437337273 client 10.77.0.1:40026 10.77.0.2:8080 TIME-WAIT   # dur_us=5432 after the server's FIN and the final ACK
#   ss: TIME-WAIT 0 0 10.77.0.1:40026 10.77.0.2:8080
1795490328442860745 server 10.77.0.2:8080 10.77.0.1:40026 CLOSED   # dur_us=9876 after the server's FIN and the final ACK
