# Kernel view (ss -tanH in the endpoint's namespace) at chosen moments.
# ts_ns = CLOCK_REALTIME ns when ss was started; dur_us = how long ss ran.
# A socket absent from ss is CLOSED; LISTEN = only the listener is left.
# ts_ns side local peer ss_state
1795490510735619412 client 10.77.0.1:40022 10.77.0.2:8080 TIME-WAIT   # dur_us=11968 cookie connection closed
#   ss: TIME-WAIT 0 0 10.77.0.1:40022 10.77.0.2:8080
1795490510747642966 server 10.77.0.2:8080 10.77.0.1:40022 CLOSED   # dur_us=18600 cookie connection closed
1795490510822649106 client 10.77.0.1:40122 10.77.0.2:8080 ESTAB   # dur_us=16245 client ESTAB, server SYN-RECV: the server answered before any third ACK
#   ss: ESTAB 0 0 10.77.0.1:40122 10.77.0.2:8080
1795490510838976793 server 10.77.0.2:8080 10.77.0.1:40122 SYN-RECV   # dur_us=17928 client ESTAB, server SYN-RECV: the server answered before any third ACK
#   ss: SYN-RECV 0 9 10.77.0.2:8080 10.77.0.1:40122
1795490511023339712 client 10.77.0.1:40122 10.77.0.2:8080 ESTAB   # dur_us=9376 the client's data completed the handshake
#   ss: ESTAB 0 0 10.77.0.1:40122 10.77.0.2:8080
1795490511032802789 server 10.77.0.2:8080 10.77.0.1:40122 ESTAB   # dur_us=23977 the client's data completed the handshake
#   ss: ESTAB 0 0 10.77.0.2:8080 10.77.0.1:40122
1795490511807623803 client 10.77.0.1:40122 10.77.0.2:8080 TIME-WAIT   # dur_us=17843 second connection closed
#   ss: TIME-WAIT 0 0 10.77.0.1:40122 10.77.0.2:8080
1795490511825559452 server 10.77.0.2:8080 10.77.0.1:40122 CLOSED   # dur_us=15191 second connection closed
