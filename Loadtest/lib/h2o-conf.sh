# Sourced by the load scripts: h2o_conf DIR PORT ROOT writes DIR/h2o.conf for the static-file yardstick: one h2o
# thread serving ROOT on 127.0.0.1:PORT, cleartext HTTP/2 with prior knowledge and HTTP/1.1 on the one listener,
# pid file and error log in DIR. Started as root, h2o would switch to user nobody, who may not read DIR: it
# stays root then (it listens on loopback only).
h2o_conf() {
  local dir="$1" port="$2" root="$3" user_line=""
  [ "$(id -u)" -ne 0 ] || user_line="user: root"
  cat >"$dir/h2o.conf" <<H2O
num-threads: 1
$user_line
pid-file: $dir/h2o.pid
error-log: $dir/error.log
listen:
  host: 127.0.0.1
  port: $port
hosts:
  default:
    paths:
      /:
        file.dir: $root
H2O
}
