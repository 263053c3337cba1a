# Kernel view (ss -tanH in the endpoint's namespace) at chosen moments.
# ts_ns = CLOCK_REALTIME ns when ss was started; dur_us = how long ss ran.
# A socket absent from ss is CLOSED; LISTEN = only the listener is left.
# ts_ns side local peer ss_state
1795490302605472913 client 10.77.0.1:40023 10.77.0.2:8080 ESTAB   # dur_us=6270 established, data exchanged
#   ss: ESTAB 0 0 10.77.0.1:40023 10.77.0.2:8080
1795490302611815952 server 10.77.0.2:8080 10.77.0.1:40023 ESTAB   # dur_us=9052 established, data exchanged
#   ss: ESTAB 0 0 10.77.0.2:8080 10.77.0.1:40023
1795490302921117557 client 10.77.0.1:40023 10.77.0.2:8080 FIN-WAIT-2   # dur_us=15292 client FIN acknowledged: FIN-WAIT-2 / CLOSE-WAIT
#   ss: FIN-WAIT-2 0 0 10.77.0.1:40023 10.77.0.2:8080
1795490302936547506 server 10.77.0.2:8080 10.77.0.1:40023 CLOSE-WAIT   # dur_us=12147 client FIN acknowledged: FIN-WAIT-2 / CLOSE-WAIT
#   ss: CLOSE-WAIT 1 0 10.77.0.2:8080 10.77.0.1:40023
1795490303019238598 client 10.77.0.1:40023 10.77.0.2:8080 TIME-WAIT   # dur_us=14686 client TIME-WAIT; its ACK is captured but still held in the wire
#   ss: TIME-WAIT 0 0 10.77.0.1:40023 10.77.0.2:8080
1795490303034012334 server 10.77.0.2:8080 10.77.0.1:40023 LAST-ACK   # dur_us=14917 client TIME-WAIT; its ACK is captured but still held in the wire  model-differs: the client's final ACK is captured as it was sent but is held in the wire: the server has not received it and is still in LAST-ACK
#   ss: LAST-ACK 0 1 10.77.0.2:8080 10.77.0.1:40023
1795490303062921904 client 10.77.0.1:40023 10.77.0.2:8080 TIME-WAIT   # dur_us=9894 server socket destroyed by ss -K: no packet sent
#   ss: TIME-WAIT 0 0 10.77.0.1:40023 10.77.0.2:8080
1795490303072888040 server 10.77.0.2:8080 10.77.0.1:40023 CLOSED   # dur_us=13919 server socket destroyed by ss -K: no packet sent
1795490303437214588 client 10.77.0.1:40023 10.77.0.2:8080 CLOSED   # dur_us=7524 after the RST: the client's TIME-WAIT is gone
1795490303444806618 server 10.77.0.2:8080 10.77.0.1:40023 CLOSED   # dur_us=4353 after the RST: the client's TIME-WAIT is gone
