# Helpers the benchmark scripts share; sourced, not run.

# A free loopback TCP port.
free_port() {
  local port
  while :; do
    port=$(( 20000 + RANDOM % 40000 ))
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || { echo "$port"; return; }
  done
}

b64url() { base64 -w0 | tr '+/' '-_' | tr -d '='; }

# A publisher's consumer context, signed with the service's secret ($1) as the gateway signs it (see
# ConsumerContextHeader), as a complete header line.
context_header() {
  local secret="$1" now payload signature
  now=$(date -u +%Y-%m-%dT%H:%M:%S+00:00)
  payload=$(printf '{"sub":"bench","acct":"bench","roles":["publisher"],"ent":[],"plan":"bench","ip":"127.0.0.1","iat":"%s"}' "$now" | b64url)
  signature=$(printf 'v1.%s' "$payload" | openssl dgst -sha256 -hmac "$secret" -binary | b64url)
  printf 'X-DataPlatform-Consumer: v1.%s.%s' "$payload" "$signature"
}

seconds() { date +%s.%N; }
