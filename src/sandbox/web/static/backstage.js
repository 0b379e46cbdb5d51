// The side panel: what happens behind Slack, read from the GitLab and AWS fakes — the
// pipelines with their jobs advancing, the merge requests, the live rules of each group.
import { el } from './dom.js';

const ICONS = { success: '✔', failed: '✖', running: '◐', pending: '…', created: '○', manual: '▶', canceled: '⊘', skipped: '»', scheduled: '◷', waiting_for_resource: '…', preparing: '…' };

function status(s) {
  const badge = el('span', `status status-${s}`, `${ICONS[s] ?? '•'} ${s}`);
  return badge;
}

function pipeline(p) {
  const li = el('li', `pipeline${p.parent ? ' child' : ''}`);
  const head = el('div', 'pipeline-head');
  head.append(el('strong', '', `#${p.id}`), el('span', 'ref', p.parent ? ` child of #${p.parent}` : ` ${p.ref}`), status(p.status));
  li.append(head);
  const jobs = el('ol', 'jobs');
  for (const j of p.jobs) {
    const job = el('li', `job job-${j.status}`);
    job.title = `${j.stage}: ${j.name} — ${j.status}`;
    job.append(el('span', 'job-name', j.name), el('span', 'job-status', ICONS[j.status] ?? '•'));
    jobs.append(job);
  }
  li.append(jobs);
  return li;
}

function ports(r) {
  if (r.protocol === '-1') return 'all traffic';
  if (r.fromPort === r.toPort) return `${r.protocol}/${r.fromPort}`;
  return `${r.protocol}/${r.fromPort}-${r.toPort}`;
}

function group(g, instances) {
  const section = el('section', 'aws-group');
  section.append(el('h4', '', `${g.groupName} `));
  section.firstChild.append(el('span', 'muted', g.groupId));
  const rules = el('ul', 'rules');
  rules.setAttribute('aria-label', `Live rules of ${g.groupName}`);
  if (g.rules.length === 0) rules.append(el('li', 'muted', 'no rules'));
  for (const r of g.rules) {
    const li = el('li', 'rule');
    li.append(el('code', '', `${r.direction === 'egress' ? 'egress ' : ''}${ports(r)} ${r.direction === 'egress' ? 'to' : 'from'} ${r.peer}`));
    if (r.request) li.append(el('span', 'tag', r.request));
    if (r.description) li.append(el('div', 'muted', r.description));
    rules.append(li);
  }
  section.append(rules);
  const members = instances.filter((i) => i.groupIds.includes(g.groupId));
  for (const i of members) section.append(el('div', 'muted', `instance ${i.name || i.instanceId} ${i.publicIp ?? ''} (${i.state})`));
  return section;
}

/** Fills the panel's three parts from the state's gitlab and aws. */
export function renderBackstage(root, state) {
  const pipelines = root.querySelector('#pipelines');
  pipelines.replaceChildren(...(state.gitlab.pipelines.length ? state.gitlab.pipelines.map(pipeline) : [el('li', 'muted', 'no pipelines yet')]));
  const mrs = root.querySelector('#merge-requests');
  mrs.replaceChildren(
    ...(state.gitlab.mergeRequests.length
      ? state.gitlab.mergeRequests.map((mr) => {
          const li = el('li', 'mr');
          li.append(el('strong', '', `!${mr.iid} `), document.createTextNode(mr.title), status(mr.state));
          li.append(el('div', 'muted', `${mr.sourceBranch} → ${mr.targetBranch}`));
          return li;
        })
      : [el('li', 'muted', 'no merge requests yet')]),
  );
  root.querySelector('#aws-groups').replaceChildren(...state.aws.groups.map((g) => group(g, state.aws.instances)));
}
