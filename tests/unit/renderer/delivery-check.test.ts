// The Delivery check view: reached from the navigation, runs route.check, shows each check and the advice, and its errors.
import { afterEach, describe, expect, it } from 'vitest'
import type { RouteCheckReport } from '@shared/contract'
import { fail, ok } from '@shared/result'
import NavSidebar from '../../../src/renderer/src/components/NavSidebar.vue'
import { useNavStore } from '../../../src/renderer/src/stores/nav'
import DeliveryCheckView from '../../../src/renderer/src/views/DeliveryCheckView.vue'
import { allByTestId, byTestId, FakeTransport, mount, settle, typeInto } from './helpers'

const blocked: RouteCheckReport = {
  sender: 'me@example.org',
  localAddress: null,
  checks: [
    { id: 'port25', title: 'Outgoing port 25', status: 'fail', detail: 'Your network blocks outgoing port 25 (common on home and mobile connections): direct delivery cannot work – use a smart host.' },
    { id: 'dns', title: 'Sender domain in DNS', status: 'ok', detail: 'example.org receives mail at mx.example.org.' },
    { id: 'ptr', title: 'Reverse DNS (PTR)', status: 'skipped', detail: 'No test connection could be made.' },
    { id: 'spf', title: 'SPF of the sender domain', status: 'skipped', detail: 'No test connection could be made.' },
    { id: 'smarthost', title: 'Smart host', status: 'skipped', detail: 'No smart host is configured.' }
  ],
  recommendation: 'smarthost',
  advice: 'Direct delivery will not work from here: add a smart host to "routes".'
}
const fine: RouteCheckReport = {
  ...blocked, sender: 'bob@example.org', localAddress: '203.0.113.5', recommendation: 'direct', advice: 'Direct delivery should work.',
  checks: blocked.checks.map((c) => ({ ...c, status: c.id === 'smarthost' ? 'skipped' : 'ok' }))
}

describe('delivery check view', () => {
  let unmount: (() => void) | undefined
  afterEach(() => unmount?.())

  it('has a navigation entry that opens the view', async () => {
    const view = mount(NavSidebar, new FakeTransport())
    unmount = view.unmount
    const nav = useNavStore(view.pinia)
    byTestId(view.root, 'nav-delivery-check')?.click()
    await settle()
    expect(nav.route).toEqual({ name: 'delivery-check' })
    expect(byTestId(view.root, 'nav-delivery-check')?.getAttribute('aria-current')).toBe('page')
  })

  it('runs route.check on first open and shows every check with its status, the verdict and the advice', async () => {
    const transport = new FakeTransport().reply('route.check', blocked)
    const view = mount(DeliveryCheckView, transport)
    unmount = view.unmount
    await settle()
    expect(transport.callsTo('route.check')).toEqual([{}])
    const items = allByTestId(view.root, 'route-check-item')
    expect(items.map((i) => `${i.dataset.id}:${i.dataset.status}`)).toEqual(['port25:fail', 'dns:ok', 'ptr:skipped', 'spf:skipped', 'smarthost:skipped'])
    expect(items[0]?.textContent).toContain('Your network blocks outgoing port 25')
    expect(items[0]?.textContent).toContain('✗')
    const verdict = byTestId(view.root, 'route-check-recommendation')
    expect(verdict?.dataset.recommendation).toBe('smarthost')
    expect(verdict?.textContent).toContain('Use a smart host')
    expect(byTestId(view.root, 'route-check-advice')?.textContent).toBe(blocked.advice)
    expect(byTestId(view.root, 'route-check-local-address')?.textContent).toBe('unknown')
  })

  it('checks another sender with {from}, showing "Checking…" meanwhile', async () => {
    let answer: ((value: ReturnType<typeof ok<RouteCheckReport>>) => void) | undefined
    const transport = new FakeTransport().reply('route.check', blocked)
    const view = mount(DeliveryCheckView, transport)
    unmount = view.unmount
    await settle()
    transport.handle('route.check', () => new Promise((resolve) => { answer = resolve }))
    typeInto(byTestId(view.root, 'route-check-from'), ' bob@example.org ')
    byTestId(view.root, 'route-check-run')?.click()
    await settle()
    expect(transport.callsTo('route.check')).toEqual([{}, { from: 'bob@example.org' }])
    expect(byTestId(view.root, 'route-check-running')).not.toBeNull()
    expect(byTestId<HTMLButtonElement>(view.root, 'route-check-run')?.disabled).toBe(true)
    answer?.(ok(fine))
    await settle()
    expect(byTestId(view.root, 'route-check-running')).toBeNull()
    expect(byTestId(view.root, 'route-check-recommendation')?.dataset.recommendation).toBe('direct')
    expect(byTestId(view.root, 'route-check-local-address')?.textContent).toBe('203.0.113.5')
  })

  it('shows a refused check as an error, keeping the button usable', async () => {
    const transport = new FakeTransport().handle('route.check', () => fail('INVALID_ADDRESS', 'from: not a valid email address'))
    const view = mount(DeliveryCheckView, transport)
    unmount = view.unmount
    await settle()
    expect(byTestId(view.root, 'route-check-error')?.textContent).toBe('The check could not run: from: not a valid email address')
    expect(byTestId<HTMLButtonElement>(view.root, 'route-check-run')?.disabled).toBe(false)
    expect(allByTestId(view.root, 'route-check-item')).toEqual([])
  })
})
