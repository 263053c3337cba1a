# Kernel view (ss -tanH in the endpoint's namespace) at chosen moments.
# ts_ns = CLOCK_REALTIME ns when ss was started; dur_us = how long ss ran.
# A socket absent from ss is CLOSED; LISTEN = only the listener is left.
# ts_ns side local peer ss_state
1795488112034418841 client 10.77.0.1:40008 10.77.0.2:8080 ESTAB   # dur_us=6871 client ESTABLISHED, server SYN-RECV (third ACK dropped)
#   ss: ESTAB 0 0 10.77.0.1:40008 10.77.0.2:8080
1795488112041341380 server 10.77.0.2:8080 10.77.0.1:40008 SYN-RECV   # dur_us=7237 client ESTABLISHED, server SYN-RECV (third ACK dropped)
#   ss: SYN-RECV 0 0 10.77.0.2:8080 10.77.0.1:40008
1795488112248821469 client 10.77.0.1:40008 10.77.0.2:8080 CLOSED   # dur_us=12189 after client RST: request socket gone, listener remains
1795488112261069600 server 10.77.0.2:8080 10.77.0.1:40008 LISTEN   # dur_us=4401 after client RST: request socket gone, listener remains
#   ss: LISTEN 0 8 10.77.0.2:8080 0.0.0.0:*
