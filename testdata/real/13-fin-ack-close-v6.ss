# Kernel view (ss -tanH in the endpoint's namespace) at chosen moments.
# ts_ns = CLOCK_REALTIME ns when ss was started; dur_us = how long ss ran.
# A socket absent from ss is CLOSED; LISTEN = only the listener is left.
# ts_ns side local peer ss_state
1795488735604716074 client [fd77::1]:40013 [fd77::2]:8080 ESTAB   # dur_us=5042 established, data exchanged
#   ss: ESTAB 0 0 [fd77::1]:40013 [fd77::2]:8080
1795488735609806100 server [fd77::2]:8080 [fd77::1]:40013 ESTAB   # dur_us=4159 established, data exchanged
#   ss: ESTAB 0 0 [fd77::2]:8080 [fd77::1]:40013
1795488735919346148 client [fd77::1]:40013 [fd77::2]:8080 TIME-WAIT   # dur_us=4934 after FIN+ACK and the final ACK
#   ss: TIME-WAIT 0 0 [fd77::1]:40013 [fd77::2]:8080
1795488735924373542 server [fd77::2]:8080 [fd77::1]:40013 CLOSED   # dur_us=3900 after FIN+ACK and the final ACK
