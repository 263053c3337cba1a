# Kernel view (ss -tanH in the endpoint's namespace) at chosen moments.
# ts_ns = CLOCK_REALTIME ns when ss was started; dur_us = how long ss ran.
# A socket absent from ss is CLOSED; LISTEN = only the listener is left.
# ts_ns side local peer ss_state
1795490331516555771 client 10.77.0.1:40027 10.77.0.2:8080 ESTAB   # dur_us=9216 established, data exchanged
#   ss: ESTAB 0 0 10.77.0.1:40027 10.77.0.2:8080
1795490331525822951 server 10.77.0.2:8080 10.77.0.1:40027 ESTAB   # dur_us=18805 established, data exchanged
#   ss: ESTAB 0 0 10.77.0.2:8080 10.77.0.1:40027
1795490331845167411 client 10.77.0.1:40027 10.77.0.2:8080 ESTAB   # dur_us=11504 second exchange: its request was not captured
#   ss: ESTAB 0 0 10.77.0.1:40027 10.77.0.2:8080
1795490331856726173 server 10.77.0.2:8080 10.77.0.1:40027 ESTAB   # dur_us=8257 second exchange: its request was not captured
#   ss: ESTAB 0 0 10.77.0.2:8080 10.77.0.1:40027
1795490332465597228 client 10.77.0.1:40027 10.77.0.2:8080 TIME-WAIT   # dur_us=5334 after the close
#   ss: TIME-WAIT 0 0 10.77.0.1:40027 10.77.0.2:8080
1795490332471008908 server 10.77.0.2:8080 10.77.0.1:40027 CLOSED   # dur_us=13665 after the close
