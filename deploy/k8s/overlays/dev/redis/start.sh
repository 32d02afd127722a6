#!/bin/sh
# Starts one pod of the reference Redis (dev overlay).
#   start.sh redis      a data pod of StatefulSet "redis"
#   start.sh sentinel   a pod of StatefulSet "redis-sentinel"
# Who is the primary? First ask the Sentinels (they know after a failover),
# then the Redis pods themselves (after every Sentinel restarted), and only
# on the very first start fall back to redis-0.
# Needs MASTER_NAME in the environment; config templates in /etc/redis.
set -eu

mode="$1"
host="$(hostname)"

ask_sentinels() {
  for i in 0 1 2; do
    peer="redis-sentinel-$i.redis-sentinel"
    [ "$peer" = "$host.redis-sentinel" ] && continue
    answer=$(redis-cli -h "$peer" -p 26379 --raw \
      SENTINEL get-master-addr-by-name "$MASTER_NAME" 2>/dev/null | head -n 1) || answer=""
    case "$answer" in
      ""|*ERR*|*"Could not connect"*) ;;
      *) echo "$answer"; return 0 ;;
    esac
  done
  return 1
}

ask_redis() {
  for i in 0 1; do
    peer="redis-$i.redis-headless"
    [ "$peer" = "$host.redis-headless" ] && continue
    if redis-cli -h "$peer" -p 6379 INFO replication 2>/dev/null | grep -q '^role:master'; then
      echo "$peer"
      return 0
    fi
  done
  return 1
}

master=$(ask_sentinels || ask_redis || echo "redis-0.redis-headless")
echo "start.sh: $mode $host, primary is $master"

case "$mode" in
  redis)
    me="$host.redis-headless"
    cp /etc/redis/redis.conf /data/redis.conf
    echo "replica-announce-ip $me" >> /data/redis.conf
    if [ "$master" != "$me" ]; then
      echo "replicaof $master 6379" >> /data/redis.conf
    fi
    exec redis-server /data/redis.conf
    ;;
  sentinel)
    sed -e "s/@ANNOUNCE@/$host.redis-sentinel/" -e "s/@MASTER@/$master/" \
        -e "s/@MASTER_NAME@/$MASTER_NAME/g" /etc/redis/sentinel.conf > /data/sentinel.conf
    exec redis-server /data/sentinel.conf --sentinel
    ;;
  *)
    echo "usage: start.sh redis|sentinel" >&2
    exit 2
    ;;
esac
