using Smp.Devices.Platform;

namespace Smp.Devices.Tests.Platform;

public sealed class AmlTests
{
    [Theory]
    [InlineData(0UL, new byte[] { 0x00 })]
    [InlineData(1UL, new byte[] { 0x01 })]
    [InlineData(5UL, new byte[] { 0x0A, 0x05 })]
    [InlineData(0x1234UL, new byte[] { 0x0B, 0x34, 0x12 })]
    [InlineData(0xFED00000UL, new byte[] { 0x0C, 0x00, 0x00, 0xD0, 0xFE })]
    [InlineData(0x1_0000_0000UL, new byte[] { 0x0E, 0, 0, 0, 0, 1, 0, 0, 0 })]
    [InlineData(ulong.MaxValue, new byte[] { 0xFF })]
    public void Integers_take_their_shortest_encoding(ulong value, byte[] expected) => Assert.Equal(expected, Aml.Integer(value));

    [Fact]
    public void Eisa_id_compresses_pnp0a03()
    {
        Assert.Equal(new byte[] { 0x0C, 0x41, 0xD0, 0x0A, 0x03 }, Aml.EisaId("PNP0A03"));
        Assert.Throws<ArgumentException>(() => Aml.EisaId("pnp0a03"));
    }

    [Fact]
    public void Name_strings_pad_segments_and_use_root_and_dual_prefixes()
    {
        Assert.Equal("\\_S5_"u8.ToArray(), Aml.NameString("\\_S5"));
        Assert.Equal("PCI0"u8.ToArray(), Aml.NameString("PCI0"));
        Assert.Equal([0x5C, 0x2E, .. "_SB_PCI0"u8.ToArray()], Aml.NameString("\\_SB.PCI0"));
        Assert.Equal([0x2F, 3, .. "_SB_PCI0ISA_"u8.ToArray()], Aml.NameString("_SB.PCI0.ISA"));
    }

    [Theory]
    [InlineData(0, new byte[] { 0x01 })]
    [InlineData(62, new byte[] { 0x3F })]
    [InlineData(63, new byte[] { 0x41, 0x04 })]     // 65 = 0x41: low nibble 1, next byte 4
    [InlineData(4093, new byte[] { 0x4F, 0xFF })]  // 4095
    [InlineData(4094, new byte[] { 0x81, 0x00, 0x01 })] // 4097 needs two extra bytes
    public void Package_lengths_count_themselves(int bodyLength, byte[] expectedPrefix)
    {
        byte[] encoded = Aml.WithPkgLength(new byte[bodyLength]);
        Assert.Equal(expectedPrefix, encoded[..expectedPrefix.Length]);
        Assert.Equal(bodyLength + expectedPrefix.Length, encoded.Length);
    }

    [Fact]
    public void S5_package_encodes_as_iasl_would()
    {
        byte[] s5 = Aml.Name("\\_S5", Aml.Package(Aml.Integer(0), Aml.Integer(0), Aml.Integer(0), Aml.Integer(0)));
        Assert.Equal(new byte[] { 0x08, 0x5C, 0x5F, 0x53, 0x35, 0x5F, 0x12, 0x06, 0x04, 0x00, 0x00, 0x00, 0x00 }, s5);
    }
}
