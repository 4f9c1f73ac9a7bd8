namespace Goflux.Tests.Support; internal static class Placeholder { }
