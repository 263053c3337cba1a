# Kernel view (ss -tanH in the endpoint's namespace) at chosen moments.
# ts_ns = CLOCK_REALTIME ns when ss was started; dur_us = how long ss ran.
# A socket absent from ss is CLOSED; LISTEN = only the listener is left.
# ts_ns side local peer ss_state
1795490283856555033 client 10.77.0.1:40021 10.77.0.2:8080 ESTAB   # dur_us=26508 client ESTABLISHED, server SYN-RECV (third ACK dropped)
#   ss: ESTAB 0 0 10.77.0.1:40021 10.77.0.2:8080
1795490283883157740 server 10.77.0.2:8080 10.77.0.1:40021 SYN-RECV   # dur_us=9552 client ESTABLISHED, server SYN-RECV (third ACK dropped)
#   ss: SYN-RECV 0 0 10.77.0.2:8080 10.77.0.1:40021
1795490287192923405 client 10.77.0.1:40021 10.77.0.2:8080 ESTAB   # dur_us=14229 after two SYN,ACK retransmissions: still ESTAB / SYN-RECV
#   ss: ESTAB 0 0 10.77.0.1:40021 10.77.0.2:8080
1795490287207247127 server 10.77.0.2:8080 10.77.0.1:40021 SYN-RECV   # dur_us=21524 after two SYN,ACK retransmissions: still ESTAB / SYN-RECV
#   ss: SYN-RECV 0 0 10.77.0.2:8080 10.77.0.1:40021
