# Kernel view (ss -tanH in the endpoint's namespace) at chosen moments.
# ts_ns = CLOCK_REALTIME ns when ss was started; dur_us = how long ss ran.
# A socket absent from ss is CLOSED; LISTEN = only the listener is left.
# ts_ns side local peer ss_state
1795490571537943446 client 10.77.0.1:40028 10.77.0.2:8080 ESTAB   # dur_us=13915 first incarnation established
#   ss: ESTAB 0 0 10.77.0.1:40028 10.77.0.2:8080
1795490571551959792 server 10.77.0.2:8080 10.77.0.1:40028 ESTAB   # dur_us=21173 first incarnation established
#   ss: ESTAB 0 0 10.77.0.2:8080 10.77.0.1:40028
1795490571876529001 client 10.77.0.1:40028 10.77.0.2:8080 CLOSED   # dur_us=12222 first incarnation reset: both CLOSED
1795490571888803836 server 10.77.0.2:8080 10.77.0.1:40028 CLOSED   # dur_us=16191 first incarnation reset: both CLOSED
1795490572208938787 client 10.77.0.1:40028 10.77.0.2:8080 ESTAB   # dur_us=5022 second incarnation established on the same 4-tuple
#   ss: ESTAB 0 0 10.77.0.1:40028 10.77.0.2:8080
1795490572214030986 server 10.77.0.2:8080 10.77.0.1:40028 ESTAB   # dur_us=6623 second incarnation established on the same 4-tuple
#   ss: ESTAB 0 0 10.77.0.2:8080 10.77.0.1:40028
1795490573121684996 client 10.77.0.1:40028 10.77.0.2:8080 TIME-WAIT   # dur_us=9569 second incarnation closed
#   ss: TIME-WAIT 0 0 10.77.0.1:40028 10.77.0.2:8080
1795490573131339113 server 10.77.0.2:8080 10.77.0.1:40028 CLOSED   # dur_us=13319 second incarnation closed
