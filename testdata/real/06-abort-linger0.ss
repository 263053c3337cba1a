# Kernel view (ss -tanH in the endpoint's namespace) at chosen moments.
# ts_ns = CLOCK_REALTIME ns when ss was started; dur_us = how long ss ran.
# A socket absent from ss is CLOSED; LISTEN = only the listener is left.
# ts_ns side local peer ss_state
1795488105964777922 client 10.77.0.1:40006 10.77.0.2:8080 ESTAB   # dur_us=11263 established, data exchanged
#   ss: ESTAB 0 0 10.77.0.1:40006 10.77.0.2:8080
1795488105976100350 server 10.77.0.2:8080 10.77.0.1:40006 ESTAB   # dur_us=4483 established, data exchanged
#   ss: ESTAB 0 0 10.77.0.2:8080 10.77.0.1:40006
1795488106280835402 client 10.77.0.1:40006 10.77.0.2:8080 CLOSED   # dur_us=7881 after client RST
1795488106288776162 server 10.77.0.2:8080 10.77.0.1:40006 CLOSED   # dur_us=4370 after client RST
