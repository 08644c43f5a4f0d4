# Sourced by the benchmark scripts: a CA (ca.pem) and a P-256 leaf for
# localhost and 127.0.0.1 (cert.pem, key.pem) in the current directory.
# rustls refuses a CA certificate as the server's own, hence the two.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=bench-ca \
    -keyout ca.key -out ca.pem 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=localhost \
    -keyout key.pem -out leaf.csr 2>/dev/null
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n' > leaf.ext
openssl x509 -req -in leaf.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 -extfile leaf.ext \
    -out cert.pem 2>/dev/null
