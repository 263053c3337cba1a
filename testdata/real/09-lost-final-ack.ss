# Kernel view (ss -tanH in the endpoint's namespace) at chosen moments.
# ts_ns = CLOCK_REALTIME ns when ss was started; dur_us = how long ss ran.
# A socket absent from ss is CLOSED; LISTEN = only the listener is left.
# ts_ns side local peer ss_state
1795488115403526822 client 10.77.0.1:40009 10.77.0.2:8080 ESTAB   # dur_us=4975 established, data exchanged
#   ss: ESTAB 0 0 10.77.0.1:40009 10.77.0.2:8080
1795488115408564505 server 10.77.0.2:8080 10.77.0.1:40009 ESTAB   # dur_us=4307 established, data exchanged
#   ss: ESTAB 0 0 10.77.0.2:8080 10.77.0.1:40009
1795488115713092380 client 10.77.0.1:40009 10.77.0.2:8080 FIN-WAIT-2   # dur_us=7829 client FIN acknowledged
#   ss: FIN-WAIT-2 0 0 10.77.0.1:40009 10.77.0.2:8080
1795488115720979574 server 10.77.0.2:8080 10.77.0.1:40009 CLOSE-WAIT   # dur_us=10456 client FIN acknowledged
#   ss: CLOSE-WAIT 1 0 10.77.0.2:8080 10.77.0.1:40009
1795488115755539660 client 10.77.0.1:40009 10.77.0.2:8080 TIME-WAIT   # dur_us=13188 final ACK dropped: client TIME-WAIT, server LAST-ACK
#   ss: TIME-WAIT 0 0 10.77.0.1:40009 10.77.0.2:8080
1795488115768788954 server 10.77.0.2:8080 10.77.0.1:40009 LAST-ACK   # dur_us=11078 final ACK dropped: client TIME-WAIT, server LAST-ACK
#   ss: LAST-ACK 0 1 10.77.0.2:8080 10.77.0.1:40009
1795488117292845766 client 10.77.0.1:40009 10.77.0.2:8080 TIME-WAIT   # dur_us=5128 after retransmitted FIN and its ACK
#   ss: TIME-WAIT 0 0 10.77.0.1:40009 10.77.0.2:8080
1795488117298039556 server 10.77.0.2:8080 10.77.0.1:40009 CLOSED   # dur_us=6496 after retransmitted FIN and its ACK
