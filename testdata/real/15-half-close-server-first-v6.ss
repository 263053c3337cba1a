# Kernel view (ss -tanH in the endpoint's namespace) at chosen moments.
# ts_ns = CLOCK_REALTIME ns when ss was started; dur_us = how long ss ran.
# A socket absent from ss is CLOSED; LISTEN = only the listener is left.
# ts_ns side local peer ss_state
1795488484099341907 client [fd77::1]:40015 [fd77::2]:8080 ESTAB   # dur_us=6683 established, data exchanged
#   ss: ESTAB 0 0 [fd77::1]:40015 [fd77::2]:8080
1795488484106117522 server [fd77::2]:8080 [fd77::1]:40015 ESTAB   # dur_us=4169 established, data exchanged
#   ss: ESTAB 0 0 [fd77::2]:8080 [fd77::1]:40015
1795488484410548837 client [fd77::1]:40015 [fd77::2]:8080 CLOSE-WAIT   # dur_us=4882 server half-closed, FIN acknowledged
#   ss: CLOSE-WAIT 1 0 [fd77::1]:40015 [fd77::2]:8080
1795488484415521896 server [fd77::2]:8080 [fd77::1]:40015 FIN-WAIT-2   # dur_us=4217 server half-closed, FIN acknowledged
#   ss: FIN-WAIT-2 0 0 [fd77::2]:8080 [fd77::1]:40015
1795488485921179282 client [fd77::1]:40015 [fd77::2]:8080 CLOSE-WAIT   # dur_us=5706 client sent 3 segments into the half-closed connection
#   ss: CLOSE-WAIT 0 0 [fd77::1]:40015 [fd77::2]:8080
1795488485926976457 server [fd77::2]:8080 [fd77::1]:40015 FIN-WAIT-2   # dur_us=4304 client sent 3 segments into the half-closed connection
#   ss: FIN-WAIT-2 0 0 [fd77::2]:8080 [fd77::1]:40015
1795488486231629956 client [fd77::1]:40015 [fd77::2]:8080 CLOSED   # dur_us=5346 after client FIN and the final ACK
1795488486237037389 server [fd77::2]:8080 [fd77::1]:40015 TIME-WAIT   # dur_us=4200 after client FIN and the final ACK
#   ss: TIME-WAIT 0 0 [fd77::2]:8080 [fd77::1]:40015
