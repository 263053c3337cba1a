# Kernel view (ss -tanH in the endpoint's namespace) at chosen moments.
# ts_ns = CLOCK_REALTIME ns when ss was started; dur_us = how long ss ran.
# A socket absent from ss is CLOSED; LISTEN = only the listener is left.
# ts_ns side local peer ss_state
1795488090742807444 client 10.77.0.1:40002 10.77.0.2:8080 ESTAB   # dur_us=9938 established, data exchanged
#   ss: ESTAB 0 0 10.77.0.1:40002 10.77.0.2:8080
1795488090752803056 server 10.77.0.2:8080 10.77.0.1:40002 ESTAB   # dur_us=11909 established, data exchanged
#   ss: ESTAB 0 0 10.77.0.2:8080 10.77.0.1:40002
1795488091064943829 client 10.77.0.1:40002 10.77.0.2:8080 CLOSE-WAIT   # dur_us=4991 server FIN acknowledged, client not closed yet
#   ss: CLOSE-WAIT 1 0 10.77.0.1:40002 10.77.0.2:8080
1795488091069999819 server 10.77.0.2:8080 10.77.0.1:40002 FIN-WAIT-2   # dur_us=3952 server FIN acknowledged, client not closed yet
#   ss: FIN-WAIT-2 0 0 10.77.0.2:8080 10.77.0.1:40002
1795488091374216864 client 10.77.0.1:40002 10.77.0.2:8080 CLOSED   # dur_us=5058 after client FIN and the final ACK
1795488091379326096 server 10.77.0.2:8080 10.77.0.1:40002 TIME-WAIT   # dur_us=7378 after client FIN and the final ACK
#   ss: TIME-WAIT 0 0 10.77.0.2:8080 10.77.0.1:40002
