# Kernel view (ss -tanH in the endpoint's namespace) at chosen moments.
# ts_ns = CLOCK_REALTIME ns when ss was started; dur_us = how long ss ran.
# A socket absent from ss is CLOSED; LISTEN = only the listener is left.
# ts_ns side local peer ss_state
1795490504221079160 client 10.77.0.1:40020 10.77.0.2:8080 ESTAB   # dur_us=16144 established, data exchanged
#   ss: ESTAB 0 0 10.77.0.1:40020 10.77.0.2:8080
1795490504237290703 server 10.77.0.2:8080 10.77.0.1:40020 ESTAB   # dur_us=39658 established, data exchanged
#   ss: ESTAB 0 0 10.77.0.2:8080 10.77.0.1:40020
1795490504577211524 client 10.77.0.1:40020 10.77.0.2:8080 FIN-WAIT-2   # dur_us=7482 client FIN acknowledged: FIN-WAIT-2 / CLOSE-WAIT
#   ss: FIN-WAIT-2 0 0 10.77.0.1:40020 10.77.0.2:8080
1795490504584761160 server 10.77.0.2:8080 10.77.0.1:40020 CLOSE-WAIT   # dur_us=5064 client FIN acknowledged: FIN-WAIT-2 / CLOSE-WAIT
#   ss: CLOSE-WAIT 1 0 10.77.0.2:8080 10.77.0.1:40020
1795490507101928373 client 10.77.0.1:40020 10.77.0.2:8080 TIME-WAIT   # dur_us=14392 2.5 s later: client TIME-WAIT, server LAST-ACK after 4 FIN retransmissions
#   ss: TIME-WAIT 0 0 10.77.0.1:40020 10.77.0.2:8080
1795490507116374868 server 10.77.0.2:8080 10.77.0.1:40020 LAST-ACK   # dur_us=19167 2.5 s later: client TIME-WAIT, server LAST-ACK after 4 FIN retransmissions
#   ss: LAST-ACK 0 1 10.77.0.2:8080 10.77.0.1:40020
