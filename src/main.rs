fn main() {
    replica_lab::start();
}
