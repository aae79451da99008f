import { NodeRecord } from '../../lib/engine/state/node-record';
import { metadata } from '../../lib/engine/views';
import { Discovery } from '../../lib/engine/discovery/discovery';
import type { NodeStatus } from '../../lib/engine';

describe('NodeMetadata status', () => {
  const recordIn = (status: NodeStatus) => {
    const record = new NodeRecord(status, '10.0.0.1:7946', 1);
    record.vitals.status = status;
    return record;
  };
  const seen = (status: NodeStatus) => metadata(recordIn(status));

  it('says unreachable only for an unreachable node, and live only for an alive one', () => {
    expect(seen('pending')).toMatchObject({ status: 'pending', unreachable: false, left: false });
    expect(seen('alive')).toMatchObject({ status: 'alive', unreachable: false, left: false });
    expect(seen('unreachable')).toMatchObject({ status: 'unreachable', unreachable: true });
    expect(seen('left')).toMatchObject({ status: 'left', unreachable: false });
    // Discovery offers only the alive one as a member.
    const records = new Map(
      (['pending', 'alive', 'unreachable', 'left'] as const).map((s) => [s, recordIn(s)]),
    );
    const discovery = new Discovery({
      record: (id) => records.get(id as NodeStatus),
      describe: metadata,
    });
    for (const id of records.keys()) discovery.refresh(id);
    expect(discovery.members().map((m) => m.id)).toEqual(['alive']);
  });
});
