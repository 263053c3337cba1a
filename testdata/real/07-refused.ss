# Kernel view (ss -tanH in the endpoint's namespace) at chosen moments.
# ts_ns = CLOCK_REALTIME ns when ss was started; dur_us = how long ss ran.
# A socket absent from ss is CLOSED; LISTEN = only the listener is left.
# ts_ns side local peer ss_state
1795488108921890765 client 10.77.0.1:40007 10.77.0.2:8080 CLOSED   # dur_us=6790 before connect, nothing listens on the port
1795488108928731827 server 10.77.0.2:8080 10.77.0.1:40007 CLOSED   # dur_us=6557 before connect, nothing listens on the port
1795488109240499758 client 10.77.0.1:40007 10.77.0.2:8080 CLOSED   # dur_us=16581 after RST,ACK
1795488109257131522 server 10.77.0.2:8080 10.77.0.1:40007 CLOSED   # dur_us=7535 after RST,ACK
