// Mount table parsing, volume candidates, `.is_audio_player` and `.semsync/device.ttl` profiles (good and broken).
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  DeviceProfileError, filesystemOf, listVolumes, mountFor, normalizeMime, parseAudioPlayer, parseDeviceTtl, parseMountInfo,
  readDeviceProfile, serializeDeviceTtl, stableDeviceId,
} from '../../src/devices/index.js';
import { tempDir } from './mounts-helper.js';

const MOUNTINFO = `22 27 0:21 / /proc rw,relatime - proc proc rw
27 1 254:0 / / rw,relatime - ext4 /dev/vda rw,discard
31 27 0:39 / /tmp rw,nosuid,nodev - tmpfs tmpfs rw,size=1024k
88 27 8:17 / /media/alice/My\\040Player rw,nosuid,nodev,relatime shared:45 - vfat /dev/sdb1 rw,fmask=0022,dmask=0022,codepage=437,iocharset=utf8
89 27 8:33 / /run/media/bob/SD\\040CARD\\134x rw,nosuid,nodev,relatime - exfat /dev/sdc1 rw,iocharset=utf8
90 27 0:50 / /media/alice/KINDLE rw,nosuid,nodev - fuseblk /dev/sdd1 rw,user_id=0,group_id=0
91 27 0:51 / /mnt/cdrom ro,relatime - iso9660 /dev/sr0 ro
92 27 0:52 / /mnt/sandboxing/tools ro,relatime - tmpfs other ro,size=4k
93 27 0:53 / /home/alice/devices/fat rw,nosuid - fuse.fusefat fusefat rw,user_id=0
94 27 0:54 / /srv/data rw - ext4 /dev/sde1 rw
`;

describe('mount table', () => {
  const mounts = parseMountInfo(MOUNTINFO);
  it('parses fields and unescapes octal escapes', () => {
    expect(mounts).toHaveLength(10);
    const player = mounts.find((m) => m.mountId === 88)!;
    expect(player.mountPoint).toBe('/media/alice/My Player');
    expect(player.fsType).toBe('vfat');
    expect(player.source).toBe('/dev/sdb1');
    expect(player.mountOptions).toContain('nosuid');
    expect(player.superOptions).toContain('iocharset=utf8');
    expect(mounts.find((m) => m.mountId === 89)!.mountPoint).toBe('/run/media/bob/SD CARD\\x');
  });
  it('maps filesystem types to naming rules', () => {
    expect(filesystemOf('vfat')).toBe('vfat');
    expect(filesystemOf('msdos')).toBe('vfat');
    expect(filesystemOf('fuse.fusefat')).toBe('vfat');
    expect(filesystemOf('exfat')).toBe('exfat');
    expect(filesystemOf('fuseblk')).toBe('exfat');
    expect(filesystemOf('tmpfs')).toBe('posix');
    expect(filesystemOf('ext4')).toBe('posix');
  });
  it('finds the mount holding a path', () => {
    expect(mountFor('/media/alice/My Player/Music/x.mp3', mounts)?.mountId).toBe(88);
    expect(mountFor('/media/alice/My Playerz', mounts)?.mountId).toBe(27);
  });
  it('lists removable-looking writable volumes under media dirs and configured roots', () => {
    const vols = listVolumes(mounts, ['/home/alice/devices']);
    const roots = vols.map((v) => v.root);
    expect(roots).toContain('/media/alice/My Player');
    expect(roots).toContain('/run/media/bob/SD CARD\\x');
    expect(roots).toContain('/media/alice/KINDLE');
    expect(roots).toContain('/home/alice/devices/fat');
    expect(roots).toContain('/home/alice/devices'); // the media root itself, as a plain folder
    expect(roots).not.toContain('/mnt/cdrom'); // read-only
    expect(roots).not.toContain('/mnt/sandboxing/tools'); // read-only
    expect(roots).not.toContain('/srv/data');
    expect(roots).not.toContain('/tmp');
    expect(vols.find((v) => v.root === '/home/alice/devices/fat')!.filesystem).toBe('vfat');
    expect(vols.find((v) => v.root === '/home/alice/devices')!.kind).toBe('folder');
  });
});

describe('.is_audio_player', () => {
  it('parses keys and normalises MIME aliases', () => {
    const info = parseAudioPlayer(
      [
        '# Rhythmbox device file',
        'name=Sansa Clip',
        'audio_folders=MUSIC/, Podcasts/',
        'output_formats=audio/mpeg,application/ogg,audio/x-flac,audio/mp3,audio/x-m4a,audio/aac,audio/x-ms-wma',
        'input_formats=audio/x-wav',
        'playlist_formats=audio/x-mpegurl',
        'folder_depth=2',
        'unknown_key=ignored',
      ].join('\n'),
    );
    expect(info.name).toBe('Sansa Clip');
    expect(info.audioFolders).toEqual(['MUSIC', 'Podcasts']);
    expect(info.outputFormats).toEqual(['audio/mpeg', 'audio/ogg', 'audio/flac', 'audio/mp4', 'audio/x-ms-wma']);
    expect(info.inputFormats).toEqual(['audio/x-wav']); // the one MIME table's canonical name, as the graph stores it
    expect(info.playlistFormats).toEqual(['audio/x-mpegurl']);
    expect(info.folderDepth).toBe(2);
    expect(normalizeMime('Audio/MP3; q=1')).toBe('audio/mpeg');
  });
  it('names the file and line of a broken entry', () => {
    expect(() => parseAudioPlayer('name=x\nfolder_depth=two\n', '/dev/x/.is_audio_player')).toThrow(/\.is_audio_player:2: folder_depth/);
    try {
      parseAudioPlayer('name=x\n\njust words\n', 'P');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(DeviceProfileError);
      expect((e as DeviceProfileError).line).toBe(3);
      expect((e as DeviceProfileError).file).toBe('P');
    }
  });
});

describe('device.ttl', () => {
  const good = `@prefix ss: <https://w3id.org/semsync/ns#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
<https://w3id.org/semsync/id/device/kobo-1> a ss:Device ;
  ss:deviceId "kobo-1" ;
  rdfs:label "Kobo Clara" ;
  ss:owner "alice" ;
  ss:accepts [ ss:kind "ebook" ; ss:mediaFolder "/eBooks/" ; ss:format "application/epub+zip", "application/pdf" ] ,
             "photo" .
`;
  it('parses id, name, owner, accepts, formats and folders', () => {
    const info = parseDeviceTtl(good);
    expect(info).toMatchObject({ id: 'kobo-1', name: 'Kobo Clara', owner: 'alice', folders: { ebook: 'eBooks' } });
    expect(info.accepts.sort()).toEqual(['ebook', 'photo']);
    expect(info.formats.ebook).toEqual(['application/epub+zip', 'application/pdf']);
  });
  it('round-trips what claim writes', () => {
    const text = serializeDeviceTtl({ id: 'abc', name: 'Mi "Reader"', owner: 'bob', accepts: ['ebook', 'music'], folders: { music: 'Music' }, formats: { music: ['audio/mpeg'] }, folderDepth: 1 });
    expect(parseDeviceTtl(text)).toEqual({ id: 'abc', name: 'Mi "Reader"', owner: 'bob', accepts: ['ebook', 'music'], folders: { music: 'Music' }, formats: { music: ['audio/mpeg'] }, folderDepth: 1 });
  });
  it('reports syntax errors with the file and line', () => {
    const broken = good.replace('rdfs:label "Kobo Clara" ;', 'rdfs:label "Kobo Clara ;');
    try {
      parseDeviceTtl(broken, '/media/kobo/.semsync/device.ttl');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(DeviceProfileError);
      expect((e as Error).message).toMatch(/^\/media\/kobo\/\.semsync\/device\.ttl:\d+: not valid Turtle/);
      expect((e as DeviceProfileError).line).toBeGreaterThanOrEqual(5);
    }
  });
  it('reports bad values with the line', () => {
    const bad = good.replace('"photo"', '"fotos"');
    expect(() => parseDeviceTtl(bad, 'd.ttl')).toThrow(/^d\.ttl:8: unknown media kind "fotos"/);
    expect(() => parseDeviceTtl('@prefix ss: <https://w3id.org/semsync/ns#> .\n<x> ss:other 1 .', 'e.ttl')).toThrow(/e\.ttl: no ss:Device/);
  });
});

describe('readDeviceProfile', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const d of dirs) await fsp.rm(d, { recursive: true, force: true });
  });
  const mounts = (root: string) =>
    parseMountInfo(`27 1 254:0 / / rw - ext4 /dev/vda rw\n95 27 8:17 / ${root.replace(/ /g, '\\040')} rw - vfat /dev/sdz9 rw\n`);

  it('is undefined for a device with no profile', async () => {
    const d = await tempDir();
    dirs.push(d);
    expect(await readDeviceProfile(d)).toBeUndefined();
  });
  it('reads a music player with a stable id from its mount source and the fs type from the mount table', async () => {
    const d = path.join(await tempDir(), 'My Player');
    dirs.push(path.dirname(d));
    await fsp.mkdir(d);
    await fsp.writeFile(path.join(d, '.is_audio_player'), 'name=Clip\naudio_folders=MUSIC/\noutput_formats=application/ogg,audio/mp3\nfolder_depth=1\n');
    const p = await readDeviceProfile(d, { mounts: mounts(d) });
    expect(p).toMatchObject({ name: 'Clip', accepts: ['music'], formats: { music: ['audio/ogg', 'audio/mpeg'] }, folders: { music: 'MUSIC' }, folderDepth: 1, filesystem: 'vfat' });
    expect(p!.owner).toBeUndefined();
    expect(p!.id).toBe(await stableDeviceId(d, mounts(d)));
    expect((await readDeviceProfile(d, { mounts: mounts(d) }))!.id).toBe(p!.id);
    expect(p!.source).toBe(path.join(d, '.is_audio_player'));
  });
  it('lets device.ttl override and .is_audio_player fill in music', async () => {
    const d = await tempDir();
    dirs.push(d);
    await fsp.writeFile(path.join(d, '.is_audio_player'), 'output_formats=audio/x-flac\naudio_folders=Tunes\n');
    await fsp.mkdir(path.join(d, '.semsync'));
    await fsp.writeFile(path.join(d, '.semsync/device.ttl'), serializeDeviceTtl({ id: 'p1', name: 'Player', owner: 'me', accepts: ['music', 'ebook'] }));
    const p = await readDeviceProfile(d, { mounts: [] });
    expect(p).toMatchObject({ id: 'p1', name: 'Player', owner: 'me', formats: { music: ['audio/flac'] }, folders: { music: 'Tunes' }, filesystem: 'vfat' });
    expect(p!.accepts).toEqual(['music', 'ebook']);
  });
  it('gives a device FAT-legal names whatever its mount, POSIX only when device.ttl says ss:nameRules "posix"', async () => {
    const d = await tempDir();
    dirs.push(d);
    await fsp.mkdir(path.join(d, '.semsync'));
    const ttl = path.join(d, '.semsync/device.ttl');
    const text = serializeDeviceTtl({ id: 'p2', name: 'Phone', accepts: ['music'] });
    const tmpfs = [{ mountId: 1, parentId: 0, devId: '0:1', root: '/', mountPoint: d, mountOptions: ['rw'], fsType: 'tmpfs', source: 'tmpfs', superOptions: [] }];
    await fsp.writeFile(ttl, text);
    expect((await readDeviceProfile(d, { mounts: tmpfs }))!.filesystem).toBe('vfat');
    const exfat = [{ ...tmpfs[0], fsType: 'exfat' }];
    expect((await readDeviceProfile(d, { mounts: exfat }))!.filesystem).toBe('exfat');
    await fsp.writeFile(ttl, text.replace('ss:deviceId', 'ss:nameRules "posix" ;\n  ss:deviceId'));
    expect((await readDeviceProfile(d, { mounts: tmpfs }))!.filesystem).toBe('posix');
    await fsp.writeFile(ttl, text.replace('ss:deviceId', 'ss:nameRules "ntfs" ;\n  ss:deviceId'));
    await expect(readDeviceProfile(d, { mounts: tmpfs })).rejects.toThrow(/ss:nameRules must be "fat" or "posix", got "ntfs"/);
  });
  it('throws DeviceProfileError naming the file for a broken device.ttl', async () => {
    const d = await tempDir();
    dirs.push(d);
    await fsp.mkdir(path.join(d, '.semsync'));
    await fsp.writeFile(path.join(d, '.semsync/device.ttl'), '@prefix ss: <https://w3id.org/semsync/ns#> .\n\n<x> a ss:Device ;\n  ss:deviceId "a" "b" .\n');
    await expect(readDeviceProfile(d, { mounts: [] })).rejects.toThrow(new RegExp(`^${d}/\\.semsync/device\\.ttl:4: `));
  });
});
