# Kernel view (ss -tanH in the endpoint's namespace) at chosen moments.
# ts_ns = CLOCK_REALTIME ns when ss was started; dur_us = how long ss ran.
# A socket absent from ss is CLOSED; LISTEN = only the listener is left.
# ts_ns side local peer ss_state
1795488281790105706 client 10.77.0.1:40014 10.77.0.2:8080 ESTAB   # dur_us=7565 established, data exchanged
#   ss: ESTAB 0 0 10.77.0.1:40014 10.77.0.2:8080
1795488281797745740 server 10.77.0.2:8080 10.77.0.1:40014 ESTAB   # dur_us=9936 established, data exchanged
#   ss: ESTAB 0 0 10.77.0.2:8080 10.77.0.1:40014
1795488282146992963 client 10.77.0.1:40014 10.77.0.2:8080 CLOSED   # dur_us=5177 after RST, challenge ACK and the second (exact) RST
1795488282152242905 server 10.77.0.2:8080 10.77.0.1:40014 CLOSED   # dur_us=4139 after RST, challenge ACK and the second (exact) RST
