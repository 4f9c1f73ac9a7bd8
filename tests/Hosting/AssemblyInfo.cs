using Goflux.Testing;

// One real NATS server for the assembly (NATS_URL, Testcontainers or a nats-server binary); never skipped.
[assembly: AssemblyFixture(typeof(NatsServerFixture))]
