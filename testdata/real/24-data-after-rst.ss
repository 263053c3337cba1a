# Kernel view (ss -tanH in the endpoint's namespace) at chosen moments.
# ts_ns = CLOCK_REALTIME ns when ss was started; dur_us = how long ss ran.
# A socket absent from ss is CLOSED; LISTEN = only the listener is left.
# ts_ns side local peer ss_state
1795490310919894934 client [fd77::1]:40024 [fd77::2]:8080 ESTAB   # dur_us=7705 established, data exchanged
#   ss: ESTAB 0 0 [fd77::1]:40024 [fd77::2]:8080
1795490310927688386 server [fd77::2]:8080 [fd77::1]:40024 ESTAB   # dur_us=4044 established, data exchanged
#   ss: ESTAB 0 0 [fd77::2]:8080 [fd77::1]:40024
1795490311047655029 client [fd77::1]:40024 [fd77::2]:8080 ESTAB   # dur_us=6214 server sent 3 segments, all still in the wire (states unchanged)
#   ss: ESTAB 0 0 [fd77::1]:40024 [fd77::2]:8080
1795490311053961410 server [fd77::2]:8080 [fd77::1]:40024 ESTAB   # dur_us=5325 server sent 3 segments, all still in the wire (states unchanged)
#   ss: ESTAB 0 45 [fd77::2]:8080 [fd77::1]:40024
1795490311164537961 client [fd77::1]:40024 [fd77::2]:8080 CLOSED   # dur_us=8190 after the client's RST: both CLOSED
1795490311172779251 server [fd77::2]:8080 [fd77::1]:40024 CLOSED   # dur_us=4481 after the client's RST: both CLOSED
1795490311527664518 client [fd77::1]:40024 [fd77::2]:8080 CLOSED   # dur_us=5071 after the late data and the client's RSTs
1795490311532822027 server [fd77::2]:8080 [fd77::1]:40024 CLOSED   # dur_us=4279 after the late data and the client's RSTs
