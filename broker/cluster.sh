# A three-node Apache Kafka cluster (KRaft) on 127.0.0.1, for replication and broker failures.
# Sourced by scripts/broker, whose jars it uses:
#   scripts/broker cluster start|stop|status|wipe   all three nodes
#   scripts/broker cluster kill N                    kill -9 node N (1-3), as when a machine dies
#   scripts/broker cluster start-node N              start node N again, on its own data
# Every node is broker and controller; the three controllers are the quorum's (static) voters,
# so the cluster keeps going with any two. All nodes are formatted with one cluster id.
# Everything lives under EVENTCOLLAB_CLUSTER_HOME (default .cluster/, git-ignored): the cluster
# id, and node-N/ with the node's configuration, data, log and pid. Ports, three of each,
# comma-separated: EVENTCOLLAB_CLUSTER_PORTS (default 9192,9292,9392) for clients,
# EVENTCOLLAB_CLUSTER_CONTROLLER_PORTS (default 9193,9293,9393) for the quorum.
# EVENTCOLLAB_CLUSTER_HEAP is each node's largest heap (default 320m: three JVMs on a laptop).

cluster_home="${EVENTCOLLAB_CLUSTER_HOME:-$root/.cluster}"
IFS=',' read -ra client_ports <<<"${EVENTCOLLAB_CLUSTER_PORTS:-9192,9292,9392}"
IFS=',' read -ra quorum_ports <<<"${EVENTCOLLAB_CLUSTER_CONTROLLER_PORTS:-9193,9293,9393}"
cluster_heap="${EVENTCOLLAB_CLUSTER_HEAP:-320m}"
nodes=(1 2 3)

node_dir() { echo "$cluster_home/node-$1"; }
node_port() { echo "${client_ports[$1 - 1]}"; }
node_pid() { cat "$(node_dir "$1")/node.pid" 2>/dev/null; }

node_running() {
  local pid
  pid=$(node_pid "$1") && kill -0 "$pid" 2>/dev/null
}

node_listening() {
  (exec 3<>"/dev/tcp/127.0.0.1/$(node_port "$1")") 2>/dev/null
}

voters() {
  local node list=()
  for node in "${nodes[@]}"; do
    list+=("$node@127.0.0.1:${quorum_ports[node - 1]}")
  done
  (IFS=','; echo "${list[*]}")
}

check_ports() {
  if ((${#client_ports[@]} != 3 || ${#quorum_ports[@]} != 3)); then
    echo "cluster: EVENTCOLLAB_CLUSTER_PORTS and EVENTCOLLAB_CLUSTER_CONTROLLER_PORTS take three ports each" >&2
    return 2
  fi
}

java_of_node() {
  local dir
  dir=$(node_dir "$1")
  node_opts=(-Xms128m "-Xmx$cluster_heap" -XX:+UseG1GC -Djava.awt.headless=true
    "-Dlog4j.configuration=file:$root/broker/log4j.properties"
    "-Dkafka.logs.dir=$dir/logs" -cp "$jars/*")
}

node_java() {
  java_of_node "$1"
  shift
  java "${node_opts[@]}" "$@"
}

# The one id every node is formatted with: made once, kept with the cluster.
cluster_id() {
  local file="$cluster_home/cluster.id"
  if [[ ! -s "$file" ]]; then
    mkdir -p "$cluster_home"
    node_java 1 kafka.tools.StorageTool random-uuid >"$file"
  fi
  cat "$file"
}

prepare_node() {
  local node=$1 dir
  dir=$(node_dir "$node")
  mkdir -p "$dir/data"
  sed -e "s|@NODE@|$node|g" -e "s|@VOTERS@|$(voters)|g" -e "s|@PORT@|$(node_port "$node")|g" \
    -e "s|@CONTROLLER_PORT@|${quorum_ports[node - 1]}|g" -e "s|@DATA@|$dir/data|g" \
    "$root/broker/cluster.properties" >"$dir/server.properties"
  [[ -f "$dir/data/meta.properties" ]] && return 0
  node_java "$node" kafka.tools.StorageTool format -t "$(cluster_id)" \
    -c "$dir/server.properties" >/dev/null
}

launch_node() {
  local node=$1 dir
  dir=$(node_dir "$node")
  if node_running "$node"; then
    return 0
  fi
  if node_listening "$node"; then
    echo "cluster: port $(node_port "$node") of node $node is taken by another process" >&2
    return 1
  fi
  prepare_node "$node"
  # The log keeps earlier runs: a start waits for the line this run writes after `since`.
  touch "$dir/node.log"
  stat -c %s "$dir/node.log" >"$dir/log.offset"
  java_of_node "$node"
  nohup setsid java "${node_opts[@]}" kafka.Kafka "$dir/server.properties" \
    >>"$dir/node.log" 2>&1 </dev/null &
  echo $! >"$dir/node.pid"
}

node_started() {
  local dir
  dir=$(node_dir "$1")
  node_listening "$1" &&
    tail -c "+$(($(cat "$dir/log.offset") + 1))" "$dir/node.log" | grep -q "Kafka Server started"
}

# The nodes of a quorum start together: none finishes starting before a majority answers.
wait_for_nodes() {
  local deadline=$((SECONDS + 120)) node waiting
  while true; do
    waiting=()
    for node in "$@"; do
      if node_started "$node"; then continue; fi
      if ! node_running "$node"; then
        echo "cluster: node $node exited during start-up; last lines of its log:" >&2
        tail -n 30 "$(node_dir "$node")/node.log" >&2
        return 1
      fi
      waiting+=("$node")
    done
    ((${#waiting[@]} == 0)) && return 0
    if ((SECONDS > deadline)); then
      echo "cluster: node(s) ${waiting[*]} not ready after 120 s; see $cluster_home" >&2
      return 1
    fi
    sleep 0.5
  done
}

node_line() {
  if node_running "$1" && node_listening "$1"; then
    echo "cluster: node $1 running (pid $(node_pid "$1")) on 127.0.0.1:$(node_port "$1")"
  else
    echo "cluster: node $1 not running"
  fi
}

bootstrap_line() {
  local node list=()
  for node in "${nodes[@]}"; do list+=("127.0.0.1:$(node_port "$node")"); done
  (IFS=','; echo "cluster: bootstrap ${list[*]}")
}

cluster_start() {
  fetch_jars
  local node
  for node in "${nodes[@]}"; do launch_node "$node"; done
  wait_for_nodes "${nodes[@]}"
  for node in "${nodes[@]}"; do node_line "$node"; done
  bootstrap_line
}

any_alive() {
  local pid
  for pid in "$@"; do
    if kill -0 "$pid" 2>/dev/null; then return 0; fi
  done
  return 1
}

stop_pids() {
  local pid
  for pid in "$@"; do kill "$pid" 2>/dev/null || true; done
  for _ in $(seq 1 60); do
    any_alive "$@" || return 0
    sleep 0.5
  done
  for pid in "$@"; do
    if kill -0 "$pid" 2>/dev/null; then
      echo "cluster: pid $pid still up after 30 s, killing it" >&2
      kill -9 "$pid" 2>/dev/null || true
    fi
  done
}

# All nodes at once: stopped one by one, the last ones would wait for a quorum already gone.
cluster_stop() {
  local node pids=()
  for node in "${nodes[@]}"; do
    if node_running "$node"; then pids+=("$(node_pid "$node")"); fi
  done
  ((${#pids[@]} == 0)) || stop_pids "${pids[@]}"
  for node in "${nodes[@]}"; do rm -f "$(node_dir "$node")/node.pid"; done
  echo "cluster: stopped"
}

cluster_status() {
  local node up=0
  for node in "${nodes[@]}"; do
    node_line "$node"
    if node_running "$node" && node_listening "$node"; then up=$((up + 1)); fi
  done
  ((up == ${#nodes[@]})) || return 3
}

node_number() {
  if [[ ! "${1:-}" =~ ^[123]$ ]]; then
    echo "cluster: name a node, 1, 2 or 3" >&2
    return 2
  fi
}

kill_node() {
  node_number "${1:-}" || return
  if ! node_running "$1"; then
    echo "cluster: node $1 not running" >&2
    return 1
  fi
  local pid
  pid=$(node_pid "$1")
  kill -9 "$pid"
  while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
  rm -f "$(node_dir "$1")/node.pid"
  echo "cluster: node $1 killed (kill -9 of pid $pid)"
}

start_node() {
  node_number "${1:-}" || return
  fetch_jars
  launch_node "$1"
  wait_for_nodes "$1"
  node_line "$1"
}

cluster_wipe() {
  cluster_stop
  rm -rf "$cluster_home"/node-* "$cluster_home/cluster.id"
  echo "cluster: data wiped (also wipe the workers' data folders of this cluster)"
}

cluster() {
  check_ports
  case "${1:-}" in
    start) cluster_start ;;
    stop) cluster_stop ;;
    status) cluster_status ;;
    wipe) cluster_wipe ;;
    kill) kill_node "${2:-}" ;;
    start-node) start_node "${2:-}" ;;
    *)
      echo "usage: scripts/broker cluster start|stop|status|wipe|kill N|start-node N" >&2
      return 2
      ;;
  esac
}
