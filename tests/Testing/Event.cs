namespace Goflux.Testing.Tests;

public sealed record Event(string Id, string Name);
