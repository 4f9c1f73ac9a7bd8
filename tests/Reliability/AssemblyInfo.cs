using Goflux.Reliability.Tests.Infrastructure;

// The figures table is written once, when the assembly's tests are done.
[assembly: AssemblyFixture(typeof(Figures))]
