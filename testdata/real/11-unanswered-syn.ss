# Kernel view (ss -tanH in the endpoint's namespace) at chosen moments.
# ts_ns = CLOCK_REALTIME ns when ss was started; dur_us = how long ss ran.
# A socket absent from ss is CLOSED; LISTEN = only the listener is left.
# ts_ns side local peer ss_state
1795488173611919863 client [fd77::1]:40011 [fd77::2]:8080 SYN-SENT   # dur_us=5959 client SYN-SENT, server SYN-RECV, SYN-ACK dropped on output
#   ss: SYN-SENT 0 1 [fd77::1]:40011 [fd77::2]:8080
1795488173617935541 server [fd77::2]:8080 [fd77::1]:40011 SYN-RECV   # dur_us=4135 client SYN-SENT, server SYN-RECV, SYN-ACK dropped on output
#   ss: SYN-RECV 0 0 [fd77::2]:8080 [fd77::1]:40011
1795488180711815341 client [fd77::1]:40011 [fd77::2]:8080 SYN-SENT   # dur_us=7696 after the third SYN retransmission
#   ss: SYN-SENT 0 1 [fd77::1]:40011 [fd77::2]:8080
1795488180719579792 server [fd77::2]:8080 [fd77::1]:40011 SYN-RECV   # dur_us=5214 after the third SYN retransmission
#   ss: SYN-RECV 0 0 [fd77::2]:8080 [fd77::1]:40011
