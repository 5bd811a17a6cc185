using System.Runtime.Serialization;
using System.Text.Json;
using Akka.Actor;
using Akka.Serialization;

namespace Smp.Host.Cluster;

/// <summary>
/// Serializes the campaign messages (<see cref="IClusterMessage"/>) with System.Text.Json, named by a string manifest, so the
/// wire format is explicit and does not depend on .NET type names or on Akka's default serializer.
/// </summary>
internal sealed class ClusterMessageSerializer(ExtendedActorSystem system) : SerializerWithStringManifest(system)
{
    private static readonly Dictionary<string, Type> Types = new[]
    {
        typeof(Hello), typeof(Welcome), typeof(Pull), typeof(Assign), typeof(Part), typeof(Cancel), typeof(Finished),
    }.ToDictionary(t => t.Name, StringComparer.Ordinal);

    /// <summary>The serializer's id in the actor system (outside Akka's reserved 0–100).</summary>
    public override int Identifier => 4153;

    /// <inheritdoc />
    public override string Manifest(object o) => o.GetType().Name;

    /// <inheritdoc />
    public override byte[] ToBinary(object obj) => JsonSerializer.SerializeToUtf8Bytes(obj, obj.GetType());

    /// <inheritdoc />
    public override object FromBinary(byte[] bytes, string manifest) =>
        Types.TryGetValue(manifest, out var type)
            ? JsonSerializer.Deserialize(bytes, type) ?? throw new SerializationException($"an empty {manifest} message")
            : throw new SerializationException($"unknown campaign message '{manifest}'");
}
