// happy-dom's Node.prototype.nodeName getter answers '' (subclasses override it); DOMPurify 3.4 reads nodeName through that
// prototype getter, so without this shim it would see no tag names in tests. Chromium (the e2e suite) needs no shim.
const NAMES: Record<number, string> = { 3: '#text', 4: '#cdata-section', 7: '#processing-instruction', 8: '#comment', 9: '#document', 11: '#document-fragment' }

const original = Object.getOwnPropertyDescriptor(Node.prototype, 'nodeName')
if (original?.get !== undefined && original.get.call(document.createElement('p')) === '') {
  Object.defineProperty(Node.prototype, 'nodeName', {
    configurable: true,
    get(this: Node): string {
      if (this.nodeType === 1) return (this as Element).tagName
      if (this.nodeType === 10) return (this as DocumentType).name
      return NAMES[this.nodeType] ?? original.get?.call(this) ?? ''
    }
  })
}
