# Kernel view (ss -tanH in the endpoint's namespace) at chosen moments.
# ts_ns = CLOCK_REALTIME ns when ss was started; dur_us = how long ss ran.
# A socket absent from ss is CLOSED; LISTEN = only the listener is left.
# ts_ns side local peer ss_state
1795490340401111853 client 10.77.0.1:40029 10.77.0.2:8080 ESTAB   # dur_us=20098 established, data exchanged
#   ss: ESTAB 0 0 10.77.0.1:40029 10.77.0.2:8080
1795490340421268520 server 10.77.0.2:8080 10.77.0.1:40029 ESTAB   # dur_us=8024 established, data exchanged
#   ss: ESTAB 0 0 10.77.0.2:8080 10.77.0.1:40029
1795490340749043253 client 10.77.0.1:40029 10.77.0.2:8080 CLOSED   # dur_us=11777 client aborted, RST dropped: client CLOSED, server ESTAB  model-differs: the client's abort sent nothing the capture could show
1795490340760874441 server 10.77.0.2:8080 10.77.0.1:40029 ESTAB   # dur_us=12184 client aborted, RST dropped: client CLOSED, server ESTAB
#   ss: ESTAB 0 0 10.77.0.2:8080 10.77.0.1:40029
1795490341081095703 client 10.77.0.1:40029 10.77.0.2:8080 CLOSED   # dur_us=15691 after the server's data and the client's RST
1795490341096842498 server 10.77.0.2:8080 10.77.0.1:40029 CLOSED   # dur_us=79889 after the server's data and the client's RST
