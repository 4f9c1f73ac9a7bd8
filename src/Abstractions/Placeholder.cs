namespace Goflux; internal static class Placeholder { }
