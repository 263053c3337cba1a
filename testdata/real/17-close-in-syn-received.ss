# Kernel view (ss -tanH in the endpoint's namespace) at chosen moments.
# ts_ns = CLOCK_REALTIME ns when ss was started; dur_us = how long ss ran.
# A socket absent from ss is CLOSED; LISTEN = only the listener is left.
# ts_ns side local peer ss_state
1795488923083338833 client 10.77.0.1:40017 10.77.0.2:8080 SYN-SENT   # dur_us=5056 both SYN-SENT, both SYNs held in the wire
#   ss: SYN-SENT 0 1 10.77.0.1:40017 10.77.0.2:8080
1795488923088536196 server 10.77.0.2:8080 10.77.0.1:40017 SYN-SENT   # dur_us=4283 both SYN-SENT, both SYNs held in the wire  model-differs: frame 1 is captured as it was sent but is still held in the wire: the server has not received it yet and is in SYN-SENT (its own SYN, frame 2, is held too); the model applies frame 1 at once
#   ss: SYN-SENT 0 1 10.77.0.2:8080 10.77.0.1:40017
1795488923193196843 client 10.77.0.1:40017 10.77.0.2:8080 SYN-RECV   # dur_us=5069 SYNs crossed: client SYN-RECV (its SYN unacknowledged), server ESTAB
#   ss: SYN-RECV 0 1 10.77.0.1:40017 10.77.0.2:8080
1795488923198348854 server 10.77.0.2:8080 10.77.0.1:40017 ESTAB   # dur_us=3969 SYNs crossed: client SYN-RECV (its SYN unacknowledged), server ESTAB
#   ss: ESTAB 0 0 10.77.0.2:8080 10.77.0.1:40017
1795488923521151665 client 10.77.0.1:40017 10.77.0.2:8080 FIN-WAIT-2   # dur_us=5256 client FIN (and SYN) acknowledged
#   ss: FIN-WAIT-2 0 0 10.77.0.1:40017 10.77.0.2:8080
1795488923526490820 server 10.77.0.2:8080 10.77.0.1:40017 CLOSE-WAIT   # dur_us=3970 client FIN (and SYN) acknowledged
#   ss: CLOSE-WAIT 1 0 10.77.0.2:8080 10.77.0.1:40017
1795488923830677599 client 10.77.0.1:40017 10.77.0.2:8080 TIME-WAIT   # dur_us=4921 after server FIN and the final ACK
#   ss: TIME-WAIT 0 0 10.77.0.1:40017 10.77.0.2:8080
1795488923835678141 server 10.77.0.2:8080 10.77.0.1:40017 CLOSED   # dur_us=5114 after server FIN and the final ACK
