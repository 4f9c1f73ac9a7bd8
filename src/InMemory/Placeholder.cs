namespace Goflux.InMemory; internal static class Placeholder { }
