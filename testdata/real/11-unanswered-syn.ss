# Kernel view (ss -tanH in the endpoint's namespace) at chosen moments.
# ts_ns = CLOCK_REALTIME ns when ss was started; dur_us = how long ss ran.
# A socket absent from ss is CLOSED; LISTEN = only the listener is left.
# ts_ns side local peer ss_state
1795488723516506284 client [fd77::1]:40011 [fd77::2]:8080 SYN-SENT   # dur_us=6311 client SYN-SENT, server SYN-RECV, SYN-ACK dropped on output
#   ss: SYN-SENT 0 1 [fd77::1]:40011 [fd77::2]:8080
1795488723522871038 server [fd77::2]:8080 [fd77::1]:40011 SYN-RECV   # dur_us=4230 client SYN-SENT, server SYN-RECV, SYN-ACK dropped on output
#   ss: SYN-RECV 0 0 [fd77::2]:8080 [fd77::1]:40011
1795488730616493323 client [fd77::1]:40011 [fd77::2]:8080 SYN-SENT   # dur_us=4920 after the third SYN retransmission
#   ss: SYN-SENT 0 1 [fd77::1]:40011 [fd77::2]:8080
1795488730621520575 server [fd77::2]:8080 [fd77::1]:40011 SYN-RECV   # dur_us=3909 after the third SYN retransmission
#   ss: SYN-RECV 0 0 [fd77::2]:8080 [fd77::1]:40011
