using Goflux.Testing;
using Xunit;

// One real NATS server for the whole integration assembly; tests take NatsServerFixture in their constructor.
[assembly: AssemblyFixture(typeof(NatsServerFixture))]
