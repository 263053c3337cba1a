# Kernel view (ss -tanH in the endpoint's namespace) at chosen moments.
# ts_ns = CLOCK_REALTIME ns when ss was started; dur_us = how long ss ran.
# A socket absent from ss is CLOSED; LISTEN = only the listener is left.
# ts_ns side local peer ss_state
1795488136268733749 client [fd77::1]:40013 [fd77::2]:8080 ESTAB   # dur_us=5147 established, data exchanged
#   ss: ESTAB 0 0 [fd77::1]:40013 [fd77::2]:8080
1795488136273943287 server [fd77::2]:8080 [fd77::1]:40013 ESTAB   # dur_us=4031 established, data exchanged
#   ss: ESTAB 0 0 [fd77::2]:8080 [fd77::1]:40013
1795488136583338273 client [fd77::1]:40013 [fd77::2]:8080 TIME-WAIT   # dur_us=4649 after FIN+ACK and the final ACK
#   ss: TIME-WAIT 0 0 [fd77::1]:40013 [fd77::2]:8080
1795488136588045123 server [fd77::2]:8080 [fd77::1]:40013 CLOSED   # dur_us=10914 after FIN+ACK and the final ACK
