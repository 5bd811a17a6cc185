using Akka.Actor;
using Smp.Actors;

namespace Smp.Actors.Tests;

public sealed record Note(string Text);

public sealed record Token(int Origin, int Hops);

/// <summary>Forwards every message to a target (typically a probe), keeping the original sender.</summary>
public sealed class Forwarder : SimActor
{
    public Forwarder(IActorRef target)
    {
        ReceiveAny(message => Sim.Tell(target, message, Sender));
    }
}

/// <summary>Replies to the sender with the same message.</summary>
public sealed class Echo : SimActor
{
    public Echo()
    {
        ReceiveAny(message => Sim.Tell(Sender, message));
    }
}

/// <summary>Handles only strings; everything else is unhandled.</summary>
public sealed class StringsOnly : SimActor
{
    public StringsOnly()
    {
        Receive<string>(_ => { });
    }
}

/// <summary>Never replies.</summary>
public sealed class Silent : SimActor
{
    public Silent()
    {
        ReceiveAny(_ => { });
    }
}

/// <summary>Throws on "boom", forwards the rest.</summary>
public sealed class Fragile : SimActor
{
    public Fragile(IActorRef target)
    {
        Receive<string>(s => s == "boom", _ => throw new InvalidOperationException("kaboom"));
        ReceiveAny(message => Sim.Tell(target, message));
    }
}
