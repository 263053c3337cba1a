# Kernel view (ss -tanH in the endpoint's namespace) at chosen moments.
# ts_ns = CLOCK_REALTIME ns when ss was started; dur_us = how long ss ran.
# A socket absent from ss is CLOSED; LISTEN = only the listener is left.
# ts_ns side local peer ss_state
1795490350952182454 client 10.77.0.1:40030 10.77.0.2:8080 ESTAB   # dur_us=20973 established, data exchanged
#   ss: ESTAB 0 0 10.77.0.1:40030 10.77.0.2:8080
1795490350973212314 server 10.77.0.2:8080 10.77.0.1:40030 ESTAB   # dur_us=11919 established, data exchanged
#   ss: ESTAB 0 0 10.77.0.2:8080 10.77.0.1:40030
1795490351302626316 client 10.77.0.1:40030 10.77.0.2:8080 CLOSED   # dur_us=18094 client aborted, RST dropped: client CLOSED, server ESTAB  model-differs: the client's abort sent nothing the capture could show
1795490351320810580 server 10.77.0.2:8080 10.77.0.1:40030 ESTAB   # dur_us=23993 client aborted, RST dropped: client CLOSED, server ESTAB
#   ss: ESTAB 0 0 10.77.0.2:8080 10.77.0.1:40030
1795490351480514243 client 10.77.0.1:40030 10.77.0.2:8080 ESTAB   # dur_us=12248 new connection established on the same 4-tuple
#   ss: ESTAB 0 0 10.77.0.1:40030 10.77.0.2:8080
1795490351492853851 server 10.77.0.2:8080 10.77.0.1:40030 ESTAB   # dur_us=11946 new connection established on the same 4-tuple
#   ss: ESTAB 0 0 10.77.0.2:8080 10.77.0.1:40030
1795490352411354156 client 10.77.0.1:40030 10.77.0.2:8080 TIME-WAIT   # dur_us=17421 new connection closed
#   ss: TIME-WAIT 0 0 10.77.0.1:40030 10.77.0.2:8080
1795490352428866779 server 10.77.0.2:8080 10.77.0.1:40030 CLOSED   # dur_us=15883 new connection closed
