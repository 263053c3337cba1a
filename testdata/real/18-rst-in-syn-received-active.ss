# Kernel view (ss -tanH in the endpoint's namespace) at chosen moments.
# ts_ns = CLOCK_REALTIME ns when ss was started; dur_us = how long ss ran.
# A socket absent from ss is CLOSED; LISTEN = only the listener is left.
# ts_ns side local peer ss_state
1795488926601165670 client 10.77.0.1:40018 10.77.0.2:8080 SYN-SENT   # dur_us=4954 both SYN-SENT, both SYNs held in the wire
#   ss: SYN-SENT 0 1 10.77.0.1:40018 10.77.0.2:8080
1795488926606202546 server 10.77.0.2:8080 10.77.0.1:40018 SYN-SENT   # dur_us=4301 both SYN-SENT, both SYNs held in the wire  model-differs: frame 1 is captured as it was sent but is still held in the wire: the server has not received it yet and is in SYN-SENT (its own SYN, frame 2, is held too); the model applies frame 1 at once
#   ss: SYN-SENT 0 1 10.77.0.2:8080 10.77.0.1:40018
1795488926710908481 client 10.77.0.1:40018 10.77.0.2:8080 SYN-RECV   # dur_us=7988 SYNs crossed: client SYN-RECV (its SYN unacknowledged), server ESTAB
#   ss: SYN-RECV 0 1 10.77.0.1:40018 10.77.0.2:8080
1795488926718982917 server 10.77.0.2:8080 10.77.0.1:40018 ESTAB   # dur_us=4339 SYNs crossed: client SYN-RECV (its SYN unacknowledged), server ESTAB
#   ss: ESTAB 0 0 10.77.0.2:8080 10.77.0.1:40018
1795488927037188461 client 10.77.0.1:40018 10.77.0.2:8080 CLOSED   # dur_us=5478 after the server's RST
1795488927042728993 server 10.77.0.2:8080 10.77.0.1:40018 CLOSED   # dur_us=6946 after the server's RST
