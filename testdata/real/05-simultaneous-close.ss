# Kernel view (ss -tanH in the endpoint's namespace) at chosen moments.
# ts_ns = CLOCK_REALTIME ns when ss was started; dur_us = how long ss ran.
# A socket absent from ss is CLOSED; LISTEN = only the listener is left.
# ts_ns side local peer ss_state
1795488101158801000 client 10.77.0.1:40005 10.77.0.2:8080 ESTAB   # dur_us=5161 established, data exchanged
#   ss: ESTAB 0 0 10.77.0.1:40005 10.77.0.2:8080
1795488101164019516 server 10.77.0.2:8080 10.77.0.1:40005 ESTAB   # dur_us=16722 established, data exchanged
#   ss: ESTAB 0 0 10.77.0.2:8080 10.77.0.1:40005
1795488101200199643 client 10.77.0.1:40005 10.77.0.2:8080 FIN-WAIT-1   # dur_us=8530 both FIN-WAIT-1, FINs held on output  model-differs: close() was called, so both are in FIN-WAIT-1 (3.10.4), but no FIN is on the wire yet; from the capture both are still ESTABLISHED
#   ss: FIN-WAIT-1 0 1 10.77.0.1:40005 10.77.0.2:8080
1795488101208779163 server 10.77.0.2:8080 10.77.0.1:40005 FIN-WAIT-1   # dur_us=7744 both FIN-WAIT-1, FINs held on output  model-differs: close() was called, so both are in FIN-WAIT-1 (3.10.4), but no FIN is on the wire yet; from the capture both are still ESTABLISHED
#   ss: FIN-WAIT-1 0 1 10.77.0.2:8080 10.77.0.1:40005
1795488102737044713 client 10.77.0.1:40005 10.77.0.2:8080 TIME-WAIT   # dur_us=8350 after crossed FINs and their ACKs
#   ss: TIME-WAIT 0 0 10.77.0.1:40005 10.77.0.2:8080
1795488102745457962 server 10.77.0.2:8080 10.77.0.1:40005 TIME-WAIT   # dur_us=7461 after crossed FINs and their ACKs
#   ss: TIME-WAIT 0 0 10.77.0.2:8080 10.77.0.1:40005
