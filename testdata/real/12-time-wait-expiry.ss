# Kernel view (ss -tanH in the endpoint's namespace) at chosen moments.
# ts_ns = CLOCK_REALTIME ns when ss was started; dur_us = how long ss ran.
# A socket absent from ss is CLOSED; LISTEN = only the listener is left.
# ts_ns side local peer ss_state
1795488187628603702 client 10.77.0.1:40012 10.77.0.2:8080 TIME-WAIT   # dur_us=8076 client TIME-WAIT
#   ss: TIME-WAIT 0 0 10.77.0.1:40012 10.77.0.2:8080
1795488187636738638 server 10.77.0.2:8080 10.77.0.1:40012 CLOSED   # dur_us=4044 client TIME-WAIT
1795488242324928265 client 10.77.0.1:40012 10.77.0.2:8080 TIME-WAIT   # dur_us=10641 client still TIME-WAIT, about 55 s later
#   ss: TIME-WAIT 0 0 10.77.0.1:40012 10.77.0.2:8080
1795488242335646242 server 10.77.0.2:8080 10.77.0.1:40012 CLOSED   # dur_us=29165 client still TIME-WAIT, about 55 s later
1795488250824934871 client 10.77.0.1:40012 10.77.0.2:8080 CLOSED   # dur_us=5035 about 63.5 s after TIME_WAIT began: gone
1795488250830030440 server 10.77.0.2:8080 10.77.0.1:40012 CLOSED   # dur_us=6691 about 63.5 s after TIME_WAIT began: gone
1795488251838227313 client 10.77.0.1:40112 10.77.0.2:8080 TIME-WAIT   # dur_us=6927 unrelated second connection closed
#   ss: TIME-WAIT 0 0 10.77.0.1:40112 10.77.0.2:8080
1795488251845213203 server 10.77.0.2:8080 10.77.0.1:40112 CLOSED   # dur_us=7782 unrelated second connection closed
