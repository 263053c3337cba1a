# Kernel view (ss -tanH in the endpoint's namespace) at chosen moments.
# ts_ns = CLOCK_REALTIME ns when ss was started; dur_us = how long ss ran.
# A socket absent from ss is CLOSED; LISTEN = only the listener is left.
# ts_ns side local peer ss_state
1795488080612546063 client 10.77.0.1:40004 10.77.0.2:8080 SYN-SENT   # dur_us=12205 both SYN-SENT, first SYNs dropped on output
#   ss: SYN-SENT 0 1 10.77.0.1:40004 10.77.0.2:8080
1795488080624822453 server 10.77.0.2:8080 10.77.0.1:40004 SYN-SENT   # dur_us=14133 both SYN-SENT, first SYNs dropped on output
#   ss: SYN-SENT 0 1 10.77.0.2:8080 10.77.0.1:40004
1795488081524548514 client 10.77.0.1:40004 10.77.0.2:8080 ESTAB   # dur_us=4685 both ESTABLISHED after crossed SYNs
#   ss: ESTAB 0 0 10.77.0.1:40004 10.77.0.2:8080
1795488081529300100 server 10.77.0.2:8080 10.77.0.1:40004 ESTAB   # dur_us=4821 both ESTABLISHED after crossed SYNs
#   ss: ESTAB 0 0 10.77.0.2:8080 10.77.0.1:40004
1795488082435180333 client 10.77.0.1:40004 10.77.0.2:8080 TIME-WAIT   # dur_us=9493 after close
#   ss: TIME-WAIT 0 0 10.77.0.1:40004 10.77.0.2:8080
1795488082444737193 server 10.77.0.2:8080 10.77.0.1:40004 CLOSED   # dur_us=15083 after close
