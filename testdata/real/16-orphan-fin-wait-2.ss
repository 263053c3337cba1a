# Kernel view (ss -tanH in the endpoint's namespace) at chosen moments.
# ts_ns = CLOCK_REALTIME ns when ss was started; dur_us = how long ss ran.
# A socket absent from ss is CLOSED; LISTEN = only the listener is left.
# ts_ns side local peer ss_state
1795488489111196350 client 10.77.0.1:40016 10.77.0.2:8080 ESTAB   # dur_us=4922 established, data exchanged
#   ss: ESTAB 0 0 10.77.0.1:40016 10.77.0.2:8080
1795488489116166462 server 10.77.0.2:8080 10.77.0.1:40016 ESTAB   # dur_us=4576 established, data exchanged
#   ss: ESTAB 0 0 10.77.0.2:8080 10.77.0.1:40016
1795488489421082170 client 10.77.0.1:40016 10.77.0.2:8080 FIN-WAIT-2   # dur_us=4861 client FIN acknowledged: orphaned FIN-WAIT-2
#   ss: FIN-WAIT-2 0 0 10.77.0.1:40016 10.77.0.2:8080
1795488489426040969 server 10.77.0.2:8080 10.77.0.1:40016 CLOSE-WAIT   # dur_us=4586 client FIN acknowledged: orphaned FIN-WAIT-2
#   ss: CLOSE-WAIT 1 0 10.77.0.2:8080 10.77.0.1:40016
1795488493930847758 client 10.77.0.1:40016 10.77.0.2:8080 CLOSED   # dur_us=4857 after tcp_fin_timeout: the client connection is gone  model-differs: no packet shows the local timeout; the capture alone still says FIN-WAIT-2
1795488493935795319 server 10.77.0.2:8080 10.77.0.1:40016 CLOSE-WAIT   # dur_us=3837 after tcp_fin_timeout: the client connection is gone
#   ss: CLOSE-WAIT 1 0 10.77.0.2:8080 10.77.0.1:40016
1795488494239885708 client 10.77.0.1:40016 10.77.0.2:8080 CLOSED   # dur_us=4819 after server FIN and the client's RST
1795488494244789600 server 10.77.0.2:8080 10.77.0.1:40016 CLOSED   # dur_us=3815 after server FIN and the client's RST
