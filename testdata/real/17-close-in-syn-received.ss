# Kernel view (ss -tanH in the endpoint's namespace) at chosen moments.
# ts_ns = CLOCK_REALTIME ns when ss was started; dur_us = how long ss ran.
# A socket absent from ss is CLOSED; LISTEN = only the listener is left.
# ts_ns side local peer ss_state
1795488800842536936 client 10.77.0.1:40017 10.77.0.2:8080 SYN-SENT   # dur_us=5423 both SYN-SENT, both SYNs held in the wire
#   ss: SYN-SENT 0 1 10.77.0.1:40017 10.77.0.2:8080
1795488800848047965 server 10.77.0.2:8080 10.77.0.1:40017 SYN-SENT   # dur_us=3666 both SYN-SENT, both SYNs held in the wire  model-differs: frame 1 is captured as it was sent but is still held in the wire: the server has not received it yet and is in SYN-SENT (its own SYN, frame 2, is held too); the model applies frame 1 at once
#   ss: SYN-SENT 0 1 10.77.0.2:8080 10.77.0.1:40017
1795488800952139917 client 10.77.0.1:40017 10.77.0.2:8080 SYN-RECV   # dur_us=4841 SYNs crossed: client SYN-RECV (its SYN unacknowledged), server ESTAB
#   ss: SYN-RECV 0 1 10.77.0.1:40017 10.77.0.2:8080
1795488800957070889 server 10.77.0.2:8080 10.77.0.1:40017 ESTAB   # dur_us=3648 SYNs crossed: client SYN-RECV (its SYN unacknowledged), server ESTAB
#   ss: ESTAB 0 0 10.77.0.2:8080 10.77.0.1:40017
1795488801273130862 client 10.77.0.1:40017 10.77.0.2:8080 FIN-WAIT-2   # dur_us=4867 client FIN (and SYN) acknowledged
#   ss: FIN-WAIT-2 0 0 10.77.0.1:40017 10.77.0.2:8080
1795488801278086754 server 10.77.0.2:8080 10.77.0.1:40017 CLOSE-WAIT   # dur_us=3620 client FIN (and SYN) acknowledged
#   ss: CLOSE-WAIT 1 0 10.77.0.2:8080 10.77.0.1:40017
1795488801581952335 client 10.77.0.1:40017 10.77.0.2:8080 TIME-WAIT   # dur_us=4834 after server FIN and the final ACK
#   ss: TIME-WAIT 0 0 10.77.0.1:40017 10.77.0.2:8080
1795488801586880227 server 10.77.0.2:8080 10.77.0.1:40017 CLOSED   # dur_us=3733 after server FIN and the final ACK
