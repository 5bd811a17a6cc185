using Smp.Actors;

namespace Smp.Actors.Tests;

public sealed record Note(string Text);

public sealed record Token(int Origin, int Hops);

/// <summary>Forwards every message to a target (typically a probe), keeping the original sender.</summary>
public sealed class Forwarder : Actor
{
    public Forwarder(IActorRef target)
    {
        ReceiveAny(message => target.Tell(message, Sender));
    }
}

/// <summary>Replies to the sender with the same message.</summary>
public sealed class Echo : Actor
{
    public Echo()
    {
        ReceiveAny(message => Sender.Tell(message));
    }
}

/// <summary>Handles only strings; everything else is unhandled.</summary>
public sealed class StringsOnly : Actor
{
    public StringsOnly()
    {
        Receive<string>(_ => { });
    }
}

/// <summary>Never replies.</summary>
public sealed class Silent : Actor
{
    public Silent()
    {
        ReceiveAny(_ => { });
    }
}

/// <summary>Throws on "boom", forwards the rest.</summary>
public sealed class Fragile : Actor
{
    public Fragile(IActorRef target)
    {
        Receive<string>(s => s == "boom", _ => throw new InvalidOperationException("kaboom"));
        ReceiveAny(message => target.Tell(message));
    }
}
