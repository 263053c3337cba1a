# Kernel view (ss -tanH in the endpoint's namespace) at chosen moments.
# ts_ns = CLOCK_REALTIME ns when ss was started; dur_us = how long ss ran.
# A socket absent from ss is CLOSED; LISTEN = only the listener is left.
# ts_ns side local peer ss_state
1795488120259013630 client 10.77.0.1:40010 10.77.0.2:8080 ESTAB   # dur_us=10139 first incarnation established
#   ss: ESTAB 0 0 10.77.0.1:40010 10.77.0.2:8080
1795488120269217753 server 10.77.0.2:8080 10.77.0.1:40010 ESTAB   # dur_us=11521 first incarnation established
#   ss: ESTAB 0 0 10.77.0.2:8080 10.77.0.1:40010
1795488120580985570 client 10.77.0.1:40010 10.77.0.2:8080 CLOSE-WAIT   # dur_us=7906 server FIN acknowledged
#   ss: CLOSE-WAIT 1 0 10.77.0.1:40010 10.77.0.2:8080
1795488120588954924 server 10.77.0.2:8080 10.77.0.1:40010 FIN-WAIT-2   # dur_us=5295 server FIN acknowledged
#   ss: FIN-WAIT-2 0 0 10.77.0.2:8080 10.77.0.1:40010
1795488120894549218 client 10.77.0.1:40010 10.77.0.2:8080 CLOSED   # dur_us=4771 server TIME-WAIT, client CLOSED
1795488120899374972 server 10.77.0.2:8080 10.77.0.1:40010 TIME-WAIT   # dur_us=13366 server TIME-WAIT, client CLOSED
#   ss: TIME-WAIT 0 0 10.77.0.2:8080 10.77.0.1:40010
1795488122113412461 client 10.77.0.1:40010 10.77.0.2:8080 ESTAB   # dur_us=6730 second incarnation established on the same 4-tuple
#   ss: ESTAB 0 0 10.77.0.1:40010 10.77.0.2:8080
1795488122120256082 server 10.77.0.2:8080 10.77.0.1:40010 ESTAB   # dur_us=4013 second incarnation established on the same 4-tuple
#   ss: ESTAB 0 0 10.77.0.2:8080 10.77.0.1:40010
1795488123028932097 client 10.77.0.1:40010 10.77.0.2:8080 TIME-WAIT   # dur_us=4820 second incarnation closed, client TIME-WAIT
#   ss: TIME-WAIT 0 0 10.77.0.1:40010 10.77.0.2:8080
1795488123033804496 server 10.77.0.2:8080 10.77.0.1:40010 CLOSED   # dur_us=6599 second incarnation closed, client TIME-WAIT
